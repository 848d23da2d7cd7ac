"""The words of the monthly report in English and Chinese, shared by the XLSX and the PDF so
the two files say the same thing."""

from __future__ import annotations

from simreg.identity.documents import DocumentType
from simreg.reporting.domain import Figure, Level
from simreg.reporting.events import COMPLIANCE_COUNTS, FUNNEL_STEPS
from simreg.reporting.monthly import Language

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Real-name registration monthly report", "实名制登记月报"),
    "operator": ("Operator", "运营商"),
    "month": ("Month", "月份"),
    "period": ("Period", "统计期"),
    "as_of": ("Figures as of the end of", "指标截至"),
    "running": ("month still running: figures up to today", "本月尚未结束：指标截至今日"),
    "census": ("Census used for real-name rates", "实名率所用普查日"),
    "census_exact": ("census of the day itself", "当日普查"),
    "census_earlier": (
        "no census that day; the nearest earlier census is used",
        "当日无普查，采用此前最近一次普查",
    ),
    "census_none": (
        "no census on or before that day: real-name rates are not available",
        "该日及之前无普查：实名率不可用",
    ),
    "census_taken": ("taken at", "普查时间"),
    "lines_in_service": ("Lines in service (census)", "在网号码数（普查）"),
    "cutoff": ("New customers: lines opened since", "新增用户：开户日期不早于"),
    "generated": ("Generated at", "生成时间"),
    "timezone": ("Time zone", "时区"),
    "summary": ("Summary", "概要"),
    "figure": ("Figure", "指标"),
    "numerator": ("Count", "达标数"),
    "denominator": ("Out of", "总数"),
    "rate": ("Rate", "比率"),
    "org_units": ("By org unit", "按组织单位"),
    "org_unit": ("Org unit", "组织单位"),
    "channels": ("By channel", "按渠道"),
    "kinds": ("By line kind", "按号码类型"),
    "daily": ("Daily", "每日"),
    "daily_title": ("Daily figures", "每日指标"),
    "review": ("Review times", "审核时长"),
    "over_limit": ("Over-limit IDs", "一证多号"),
    "funnel": ("Re-registration", "补登记"),
    "compliance": ("Channel compliance", "渠道合规"),
    "code": ("Code", "编码"),
    "name": ("Name", "名称"),
    "level": ("Level", "层级"),
    "day": ("Day", "日期"),
    "in_service": ("In service", "在网"),
    "verified": ("Verified", "已实名"),
    "legacy_unverified": ("Legacy, unverified", "存量未实名"),
    "reverification_pending": ("Re-verification pending", "待重新核验"),
    "suspended": ("Suspended", "已停机"),
    "reviewer": ("Reviewer", "审核员"),
    "all": ("All", "合计"),
    "decided": ("Decided", "已审核"),
    "approved": ("Approved", "通过"),
    "rejected": ("Rejected", "驳回"),
    "median_min": ("Median wait (min)", "等待中位数（分钟）"),
    "p95_min": ("95th percentile (min)", "95分位（分钟）"),
    "max_min": ("Longest (min)", "最长（分钟）"),
    "submitted": ("Submitted in the period", "统计期内提交"),
    "waiting_at_end": ("Waiting at the end", "期末待审核"),
    "found_total": ("IDs over the limit found so far", "累计发现超限证件"),
    "resolved_total": ("Resolved so far", "累计已处理"),
    "open": ("Open at the end", "期末未处理"),
    "found_month": ("Found in the month", "本月发现"),
    "resolved_month": ("Resolved in the month", "本月处理"),
    "resolved_share": ("Share resolved", "处理率"),
    "case": ("Case", "案件"),
    "doc_type": ("Document type", "证件类型"),
    "doc_masked": ("Document (masked)", "证件号码（脱敏）"),
    "held": ("Numbers held when found", "发现时持有号码数"),
    "found_at": ("Found", "发现时间"),
    "no_open": ("No over-limit ID open at the end of the period.", "期末无未处理的超限证件。"),
    "campaign": ("Campaign", "活动"),
    "page_n": ("Page {n} of {total}", "第 {n} 页，共 {total} 页"),
    "listed_of": ("{listed} of {open} open IDs listed", "列出 {listed} 个，共 {open} 个未处理证件"),
    "real_name_chart": ("Real-name rate per top org unit", "各组织单位实名率"),
    "none": ("—", "—"),
    "unassigned": ("(no org unit or channel recorded)", "（未记录组织单位或渠道）"),
    "voice": ("Voice SIM", "移动电话卡"),
    "data": ("Wireless data card", "无线上网卡"),
}

_LEVELS = {
    Level.OVERALL: ("Overall", "总体"),
    Level.PROVINCE: ("Province", "省"),
    Level.CITY: ("City", "市"),
    Level.COUNTY: ("County", "县区"),
    Level.CHANNEL: ("Channel", "渠道"),
    Level.OUTLET: ("Outlet", "网点"),
    Level.KIND: ("Line kind", "号码类型"),
    Level.UNASSIGNED: ("Not recorded", "未记录"),
}

_FUNNEL = {
    "targeted": ("Targeted", "目标用户"),
    "sms_sent": ("SMS sent", "短信已发"),
    "sms_delivered": ("SMS delivered", "短信送达"),
    "re_registered_after_sms": ("Re-registered after SMS", "短信后补登"),
    "called": ("Called", "已外呼"),
    "re_registered_after_call": ("Re-registered after call", "外呼后补登"),
    "suspended": ("Suspended", "已停机"),
}

_COMPLIANCE = {
    "inspections_done": ("Inspections", "暗访检查"),
    "inspections_passed": ("Passed", "合格"),
    "inspections_failed": ("Failed", "不合格"),
    "violations": ("Violations", "违规"),
    "warnings": ("Warnings", "警告"),
    "fines": ("Fines", "罚款"),
    "suspensions": ("Suspensions", "暂停"),
    "terminations": ("Terminations", "解除合作"),
    "fine_yuan": ("Fines (yuan)", "罚款金额（元）"),
    "points": ("Penalty points", "扣分"),
}


assert set(_FUNNEL) == set(FUNNEL_STEPS) and set(_COMPLIANCE) == set(COMPLIANCE_COUNTS)


class Words:
    """Labels in one language; an unknown key or value is shown as it is."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self._i = 1 if language is Language.ZH else 0

    def __call__(self, key: str) -> str:
        pair = _TEXT.get(key)
        return pair[self._i] if pair else key

    def figure(self, figure: Figure) -> str:
        return figure.label_zh if self.language is Language.ZH else figure.label_en

    def level(self, level: Level) -> str:
        return _LEVELS[level][self._i]

    def funnel(self, step: str) -> str:
        return _FUNNEL[step][self._i]

    def compliance(self, count: str) -> str:
        return _COMPLIANCE[count][self._i]

    def document(self, doc_type: str) -> str:
        try:
            kind = DocumentType(doc_type)
        except ValueError:
            return doc_type
        return kind.label_zh if self.language is Language.ZH else kind.label_en

    def row_label(self, level: Level, label: str) -> str:
        """Row names come from the directory; the few made-up ones are translated."""
        if level is Level.UNASSIGNED:
            return self("unassigned")
        if level is Level.KIND:
            return self(label)
        if level is Level.OVERALL:
            return self("all")
        return label
