"""What the console calls things, in Chinese: the timeline's event kinds, for a person to read."""

from __future__ import annotations

from collections.abc import Mapping

from car_enforce.captures.transitions import STATUS_NAMES_ZH as CAPTURE_STATUS_NAMES_ZH
from car_enforce.core.identity.models import ORG_KIND_NAMES_ZH
from car_enforce.core.timeline.service import ChainProblem
from car_enforce.core.work.transitions import STATUS_NAMES_ZH as WORK_STATUS_NAMES_ZH
from car_enforce.custody.models import VEHICLE_CLASS_NAMES_ZH
from car_enforce.custody.transitions import ORDER_STATUS_NAMES_ZH
from car_enforce.sightings.transitions import STATUS_NAMES_ZH as ALERT_STATUS_NAMES_ZH
from car_enforce.stages.timing import STAGE_NAMES_ZH, Stage
from car_enforce.watches.transitions import STATUS_NAMES_ZH as WATCH_STATUS_NAMES_ZH
from valuation.reference_price.rules import SKIP_NAMES_ZH
from valuation.reference_price.transitions import STATUS_NAMES_ZH as PRICING_STATUS_NAMES_ZH

ORG_KIND_NAMES: Mapping[str, str] = ORG_KIND_NAMES_ZH

EVENT_NAMES: dict[str, str] = {
    "case.opened": "立案登记",
    "vehicle.registered": "登记车辆",
    "watch.issued": "发起布控",
    "watch.queued": "轮候布控",
    "watch.renewed": "续行布控",
    "watch.lifted": "解除布控",
    "watch.lapsed": "布控到期失效",
    "watch.fulfilled": "车辆查获，布控完成",
    "watch.reminded": "布控到期提醒",
    "alert.raised": "发现疑似目标车辆",
    "alert.confirmed": "确认命中",
    "alert.rejected": "排除误报",
    "capture.reported": "公安扣押车辆",
    "capture.arrived": "车辆运抵辅助中心",
    "custody.taken_in": "车辆入库",
    "custody.moved": "车辆移位",
    "custody.keys_handed": "钥匙交接",
    "custody.released": "车辆出库",
    "inspection.recorded": "完成车辆检测",
    "inspection.corrected": "更正车辆检测结果",
    "stage.deviation": "偏离预警",
    "reference_price.opened": "启动参考价确定程序",
    "reference_price.method_passed": "不适用的定价方式（附理由）",
    "reference_price.directed_asked": "发出定向询价",
    "reference_price.online_started": "发起网络询价",
    "inquiry.request_received": "询价平台收到委托",
    "inquiry.request_failed": "询价平台无法送达",
    "inquiry.report_received": "收到网络询价报告",
    "inquiry.correction_received": "收到补正报告",
    "inquiry.extension_asked": "询价平台申请延期",
    "inquiry.extended": "准予延期出具报告",
    "inquiry.corrections_requested": "通知补正报告",
    "reference_price.online_failed": "网络询价未获结果，转委托评估",
    "reference_price.appraisal_entrusted": "委托评估（摇号）",
    "reference_price.appraisal_extended": "评估延期",
    "reference_price.appraisal_declined": "评估机构退回，顺延下一家",
    "reference_price.fixed": "参考价确定",
    "reference_price.notice_issued": "送达参考价通知书",
    "reference_price.objection_filed": "当事人提出异议",
    "reference_price.objection_upheld": "异议成立",
    "reference_price.objection_dismissed": "异议驳回",
    "reference_price.repriced": "参考价重新确定",
    "reference_price.set_aside": "参考价撤销",
    "reference_price.expired": "参考价有效期届满",
    "reference_price.withdrawn": "参考价程序终结",
    "organisation.created": "新增机构",
    "user.created": "新增用户",
    "api_key.created": "签发接口密钥",
    "api_key.revoked": "吊销接口密钥",
    "calendar.year_loaded": "载入年度节假日安排",
    "jurisdictions.imported": "导入行政区划边界",
    "case.applicant_linked": "关联申请执行人账号",
    "watch.activated": "轮候布控生效",
    "watch.released": "布控因车辆出库而解除",
    "watch.expiry_reminder": "布控即将到期提醒",
    "watch.vehicle_captured": "轮候车辆已被他院扣押",
    "alert.possible": "疑似命中待核实",
    "alert.late": "迟到的识别记录",
    "capture.held": "扣押地点存疑，暂缓送库",
    "capture.place_confirmed": "确认扣押地点",
    "custody.charged": "记入其他费用",
    "custody.imported": "存量车辆导入",
    "custody.record_signed": "保管记录签字",
    "custody.release_ordered": "签发出库通知",
    "custody.release_revoked": "撤销出库通知",
    "reference_price.fee_awarded": "询价费用归属确定",
    "registry.seizure_queued": "发出查封登记协助执行通知书",
    "registry.seizure_effective": "车管所查封登记生效",
    "registry.seizure_waiting": "车管所轮候查封登记",
    "registry.release_queued": "发出解除查封协助执行通知书",
    "registry.seizure_released": "车管所解除查封登记",
    "registry.seizure_lapsed": "车管所查封登记因拍卖失效",
    "registry.transfer_queued": "申请车管所办理转让登记",
    "registry.transfer_accepted": "车管所受理转让登记",
    "registry.transfer_completed": "车管所办结转让登记（过户）",
    "registry.transfer_refused": "车管所不予办理转让登记",
    "registry.request_failed": "车管所协助执行事项发送失败",
}

# The statuses a domain's status machine names in its refusals are named from the same table here.
WATCH_STATUS_NAMES: Mapping[str, str] = WATCH_STATUS_NAMES_ZH
ALERT_STATUS_NAMES: Mapping[str, str] = ALERT_STATUS_NAMES_ZH
CAPTURE_STATUS_NAMES: Mapping[str, str] = CAPTURE_STATUS_NAMES_ZH
PRICING_STATUS_NAMES: Mapping[str, str] = PRICING_STATUS_NAMES_ZH
WORK_STATUS_NAMES: Mapping[str, str] = WORK_STATUS_NAMES_ZH
REQUEST_STATUS_NAMES: dict[str, str] = {
    "to_send": "待发送",
    "received": "平台已接收",
    "reported": "已出具报告",
    "failed": "无法送达",
    "withdrawn": "已撤回",
}
SKIP_NAMES: Mapping[str, str] = SKIP_NAMES_ZH

# The steps an applicant (申请执行人) is shown, in plain words: what happened to the debtor's car, nothing
# of the court's internal work (alerts to verify, method passes, notices to platforms).
APPLICANT_STEPS: dict[str, str] = {
    "case.opened": "法院已立案执行",
    "watch.issued": "法院已对被执行人的车辆发起查控（布控）",
    "watch.renewed": "法院已续行查控",
    "watch.lifted": "法院已解除查控",
    "watch.lapsed": "查控期限届满",
    "capture.reported": "车辆已被公安交警查获扣押",
    "capture.arrived": "车辆已运抵辅助事务办理中心",
    "custody.taken_in": "车辆已入库保管",
    "inspection.recorded": "车辆已完成检测",
    "inspection.corrected": "车辆检测结果已更正",
    "reference_price.opened": "法院已启动确定处置参考价",
    "reference_price.online_started": "法院已向询价平台发起网络询价",
    "reference_price.fixed": "车辆处置参考价已确定",
    "reference_price.notice_issued": "参考价通知书已送达",
    "reference_price.repriced": "参考价经异议后重新确定",
    "reference_price.expired": "参考价有效期届满，将重新询价",
    "custody.released": "车辆已出库",
    "registry.seizure_effective": "车管所已对车辆办理查封登记",
    "registry.seizure_waiting": "车辆已在车管所轮候查封",
    "registry.seizure_released": "车管所已解除车辆的查封登记",
    "registry.seizure_lapsed": "车辆拍卖后，车管所的查封登记随之失效",
    "registry.transfer_accepted": "车管所已受理车辆过户申请",
    "registry.transfer_completed": "车辆已在车管所完成过户登记",
    "registry.transfer_refused": "车管所暂不予办理车辆过户，法院正在处理",
}

# A vehicle's plate colour and plate type code (号牌种类, GA 36), as the registration form offers them.
PLATE_COLOUR_NAMES: dict[str, str] = {
    "blue": "蓝牌",
    "yellow": "黄牌",
    "green": "绿牌（小型新能源）",
    "yellow_green": "黄绿牌（大型新能源）",
    "white": "白牌",
    "black": "黑牌",
}
PLATE_TYPE_NAMES: dict[str, str] = {
    "02": "02 小型汽车",
    "01": "01 大型汽车",
    "52": "52 小型新能源汽车",
    "51": "51 大型新能源汽车",
    "99": "99 其他",
}
# How a known car differs from what the officer registers (``car_enforce.vehicles.known``).
KNOWN_DIFFERENCES: dict[str, str] = {
    "owner": "其他案件中登记的车辆所有人不是本案被执行人",
    "vin": "车架号与平台登记的不一致",
    "plate": "该车架号在平台登记的是另一号牌",
    "vin_added": "平台登记的车辆尚无车架号，确认后将补录本次填写的车架号",
}

# A capture's stage clocks (``car_enforce.stages``): the stages, the law's deadlines and how each stands.
STAGE_NAMES: Mapping[Stage, str] = STAGE_NAMES_ZH
LEGAL_DEADLINE_NAMES: dict[str, str] = {
    "inquiry_started": "启动确定参考价程序",
    "disposal_started": "启动变价（拍卖）程序",
}
STAGE_STATUS_NAMES: dict[str, str] = {
    "pending": "进行中",
    "on_time": "按期完成",
    "late": "已超期",
    "reached_late": "超期完成",
}


def chain_problem_words(problem: ChainProblem) -> str:
    """A broken link of a timeline's hash chain, as the administrator's check and a case's record say it."""
    event = f"第{problem.seq}条事件"
    if problem.event_kind:
        event += f"（{EVENT_NAMES.get(problem.event_kind, problem.event_kind)}）"
    match problem.cause:
        case "edited":
            return f"{event}的内容在记录后被改动"
        case "unlinked":
            return f"{event}与前一条事件的哈希不衔接"
        case "missing" if problem.until_seq is not None and problem.until_seq > problem.seq:
            return f"第{problem.seq}至第{problem.until_seq}条事件缺失（已被删除）"
        case "missing":
            return f"{event}缺失（已被删除）"
        case "no_head":
            return f"链尾记录缺失（事件到第{problem.seq}条为止）"
        case "head" if problem.seq == problem.until_seq:
            return f"链尾记录与第{problem.seq}条事件不符（链尾记录被改动）"
        case _:
            return f"链尾记录为第{problem.seq}条，而事件只到第{problem.until_seq}条（末尾的事件被删除）"


# The custody chain, its costs and the release at the gate.
CHAIN_KIND_NAMES: dict[str, str] = {"intake": "入库", "move": "移车", "keys": "钥匙交接", "release": "出库"}
CHARGE_KIND_NAMES: dict[str, str] = {
    "towing": "拖车费",
    "storage": "保管费",
    "inspection": "检测费",
    "other": "其他费用",
}
VEHICLE_CLASS_NAMES: Mapping[str, str] = VEHICLE_CLASS_NAMES_ZH
RELEASE_KIND_NAMES: dict[str, str] = {
    "sale_handover": "拍卖成交交付买受人",
    "return_to_owner": "解除扣押发还",
}
ORDER_STATUS_NAMES: Mapping[str, str] = ORDER_STATUS_NAMES_ZH
