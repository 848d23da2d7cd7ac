"""What each audit action is called on the audit page, in English and Chinese.

The audit trail stores machine codes (``registration.approved``); auditors read words. A code
missing here is shown as it is, and tests/unit/test_audit_labels.py checks that every action
the code base records has its words.
"""

from __future__ import annotations

ACTION_LABELS: dict[str, tuple[str, str]] = {
    # registrations and lines
    "registration.submit": ("Registration refused at submission", "登记提交被拒"),
    "registration.submitted": ("Registration submitted", "提交登记"),
    "registration.approved": ("Registration approved", "审核通过"),
    "registration.rejected": ("Registration rejected", "审核驳回"),
    "registration.activate": ("Line opening refused", "开通被拒"),
    "registration.activated": ("Line opened", "号码开通"),
    "registration.verified": ("Line in service verified (re-registration)", "在网号码补登核验通过"),
    "registration.cancelled": ("Registration cancelled", "登记撤销"),
    "registration.identity_viewed": ("Decided registration's identity seen", "查看已审登记身份"),
    "line.reserved": ("Number reserved", "预占号码"),
    "line.reserve": ("Number reservation refused", "预占号码被拒"),
    "line.suspended": ("Line suspended", "号码停机"),
    "line.restored": ("Line restored to service", "号码复机"),
    "line.cancelled": ("Line cancelled", "号码销户"),
    "line.transferred": ("Line transferred to another person", "号码过户给他人"),
    # staff
    "staff.login": ("Staff login", "员工登录"),
    "staff.created": ("Staff account created", "创建员工账号"),
    "staff.updated": ("Staff account changed", "修改员工账号"),
    "staff.password_changed": ("Password changed", "修改密码"),
    "staff.password_reset": ("Password reset", "重置密码"),
    # channels (RN-08, RN-09, RN-15)
    "channel.admit": ("Channel admitted", "渠道准入"),
    "channel.activate": ("Channel activated", "渠道启用"),
    "channel.suspend": ("Channel suspended", "渠道暂停"),
    "channel.reinstate": ("Channel reinstated", "渠道恢复"),
    "channel.terminate": ("Channel terminated", "渠道终止合作"),
    "channel.hold_to_account": ("Held to account (termination)", "记录解除合作的责任单位和责任人"),
    "channel.imported": ("Channels imported", "导入渠道"),
    "device.enrolled": ("App device enrolled", "登记实名制APP设备"),
    "device.revoked": ("App device revoked", "吊销实名制APP设备"),
    "inspection.planned": ("Inspection planned", "安排暗访检查"),
    "inspection.assigned": ("Inspector assigned", "指派检查员"),
    "inspection.evidence": ("Inspection evidence added", "上传检查证据"),
    "seller.reported": ("Online seller reported", "举报网络销售者"),
    "seller.hand_over": ("Seller report handed over", "移交网络销售举报"),
    "seller.taken_down": ("Online seller taken down", "网络销售者已下架"),
    "seller.dismiss": ("Seller report dismissed", "驳回网络销售举报"),
    # group customers (RN-12)
    "enterprise.create": ("Group customer refused", "集团客户建档被拒"),
    "enterprise.created": ("Group customer created", "集团客户建档"),
    "enterprise.agreement": ("Group agreement recorded", "登记集团协议"),
    "enterprise.agent_checked": ("Group agent checked", "核验集团经办人"),
    "enterprise.lines_allocated": ("Lines allocated to a group", "分配集团号码"),
    "enterprise.activate": ("Group customer activated", "集团客户启用"),
    "enterprise.suspend": ("Group customer suspended", "集团客户暂停"),
    "enterprise.reinstate": ("Group customer reinstated", "集团客户恢复"),
    "enterprise.terminate": ("Group agreement ended", "集团协议终止"),
    "binding.created": ("Actual user bound", "绑定实际使用人"),
    "enterprise.assigned": ("Group customer given to an account manager", "指派集团客户经理"),
    "binding.withdrawn": ("Actual user withdrawn", "撤回实际使用人"),
    "binding.ended": ("Actual user's binding ended", "解除实际使用人绑定"),
    "binding.roster_imported": ("User roster imported", "导入使用人名单"),
    "binding.check_pending": ("Actual user's check pending", "实际使用人核验待定"),
    "binding.refused": ("Actual user refused", "实际使用人被拒"),
    # online orders (RN-10, RN-11)
    "online_order.submitted": ("Online order submitted", "提交网上订单"),
    "online_order.reserved": ("Online order number reserved", "网上订单预占号码"),
    "online_order.ready": ("Online order ready", "网上订单待取卡"),
    "online_order.handover": ("Hand-over refused", "交付被拒"),
    "online_order.handed_over": ("Card handed over", "交付号卡"),
    "online.card_sales_opened": ("Online card sales opened (RN-11)", "开放网上售卡"),
    "online.card_sales_closed": ("Online card sales closed (RN-11)", "暂停网上售卡"),
    "online_order.deliveries_listed": ("Courier's deliveries listed", "查看待配送订单"),
    "online_order.delivery_viewed": ("Delivery address viewed", "查看配送地址"),
    "online_order.refused": ("Online order refused", "网上订单被拒"),
    "online_order.cancelled": ("Online order cancelled", "网上订单取消"),
    "online_order.expired": ("Online order expired", "网上订单过期"),
    "online_order.lapsed": ("Online order lapsed", "网上订单失效"),
    "online_order.check_abandoned": ("Identity check abandoned", "放弃联网核验"),
    # the legacy base (RN-13, RN-14)
    "base.import": ("Legacy base imported", "导入存量用户"),
    "over_limit.found": ("Over-limit document found", "发现一证多号"),
    "over_limit.resolved": ("Over-limit document resolved", "一证多号已处理"),
    "over_limit.document_viewed": ("Over-limit document viewed", "查看一证多号证件"),
    "audit.searched": ("Audit searched by document or number", "按证件或号码查询审计记录"),
    "campaign.created": ("Campaign created", "创建补登活动"),
    "campaign.started": ("Campaign started", "启动补登活动"),
    "campaign.closed": ("Campaign closed", "结束补登活动"),
    "campaign.advanced": ("Campaign steps run", "补登活动推进"),
    "campaign.call_recorded": ("Call outcome recorded", "记录外呼结果"),
    "sms.uncertain": ("SMS delivery uncertain", "短信发送结果不明"),
    # reports and the organisation
    "report.census": ("Census taken", "生成统计快照"),
    "report.export": ("Report exported", "导出报表"),
    "org_unit.created": ("Organisation unit created", "创建组织单元"),
    "demo.province_created": ("Demo province created", "生成演示省份"),
    "demo.census_seeded": ("Demo censuses seeded", "生成演示统计快照"),
    "demo.reregistrations_seeded": ("Demo re-registrations seeded", "生成演示补登记录"),
}


def action_label(action: str, language: str) -> str:
    """The action in words, or its code when it has none."""
    words = ACTION_LABELS.get(action)
    if words is None:
        return action
    return words[1] if language == "zh" else words[0]
