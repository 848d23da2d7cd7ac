"""Stand-ins for the outside services simreg talks to, for the demo and the tests."""
