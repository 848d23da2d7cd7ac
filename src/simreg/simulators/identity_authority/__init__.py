"""A stand-in for the identity authority (RN-10), shipped with simreg for the demo and the tests:
its own synthetic register of residents, the authority's HTTP protocol, and latency and
failures that can be set at start and changed while it runs."""

from simreg.simulators.identity_authority.app import (
    Behaviour,
    SimulatedAuthority,
    create_authority_app,
)
from simreg.simulators.identity_authority.population import (
    Person,
    Population,
    person,
    read_people,
)
from simreg.simulators.identity_authority.server import AuthorityServer, running_authority

__all__ = [
    "AuthorityServer",
    "Behaviour",
    "Person",
    "Population",
    "SimulatedAuthority",
    "create_authority_app",
    "person",
    "read_people",
    "running_authority",
]
