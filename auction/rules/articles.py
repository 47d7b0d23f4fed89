"""The numbers of the online auction and the articles that set them, each refusal's citation in one place.

Every ``Rule`` reads in English as "网拍规定 Art. N: …" (what the API answers and an event records) and in
Chinese as the article cited in full with the law's own short words (what a page shows beside the field).
A value the law does not give is the platform's own setting and says so in both languages; a value taken
from practice that could not be checked against a published text is marked UNCONFIRMED here and in
RULES.md, and is a setting the caller may change.
"""

from __future__ import annotations

from datetime import timedelta

from car_enforce.core.errors import Rule

WP = "《最高人民法院关于人民法院网络司法拍卖若干问题的规定》"  # 网拍规定 (法释〔2016〕18号)
PB = "《最高人民法院关于人民法院民事执行中拍卖、变卖财产的规定》"  # 拍卖变卖规定 (2020 amendment)
CKJ = "《最高人民法院关于人民法院确定财产处置参考价若干问题的规定》"  # 参考价规定 (法释〔2018〕15号)
MSJ = "《最高人民法院关于适用〈中华人民共和国民事诉讼法〉的解释》"  # 民诉法解释 (2022)
PLATFORM = "本平台规则（非法律规定）"  # what the law leaves to the platform, said as such


def _law(en: str, law: str, article: str, words: str) -> Rule:
    return Rule(en, f"{law}{article}：{words}")


# --- the numbers -------------------------------------------------------------------------------------------

START_MIN_PERCENT = 70  # 网拍规定 Art. 10: the starting price is at least 70% of the reference price
DEPOSIT_MIN_PERCENT = 5  # 网拍规定 Art. 17: the deposit is 5% …
DEPOSIT_MAX_PERCENT = 20  # … to 20% of the starting price
ANNOUNCE_DAYS_FIRST = 15  # 网拍规定 Art. 12: a movable (a car) is announced 15 days before the auction
ANNOUNCE_DAYS_AGAIN = 7  # 网拍规定 Art. 26: 7 days before a re-auction after an unsold one
MIN_BIDDING = timedelta(hours=24)  # 网拍规定 Art. 20: bidding lasts at least 24 hours
EXTENSION = timedelta(minutes=5)  # 网拍规定 Art. 20: a bid in the last 5 minutes moves the end
NOTICE_DAYS = 3  # 网拍规定 Art. 16: parties and known priority buyers told 3 days before the announcement
NOTICE_PUBLISHED_DAYS = 5  # 网拍规定 Art. 16: an unreachable one is deemed told 5 days after publication
AGAIN_WITHIN_DAYS = 30  # 网拍规定 Art. 26: the re-auction within 30 days of the unsold one
AGAIN_MAX_CUT_PERCENT = 20  # 网拍规定 Art. 26: the starting price cut by at most 20% of the previous one
RESUME_WITHIN_DAYS = 5  # 网拍规定 Art. 28: resumed within 5 days after the cause of the stop ends
DEPOSIT_HOURS = timedelta(hours=24)  # 网拍规定 Art. 23, 25: losers' deposits back, the winner's to the court
# 网拍规定 Art. 25 leaves the balance period to the announcement; no national number (RULES §3): UNCONFIRMED.
DEFAULT_BALANCE_DAYS = 10
LAST_ROUND = (
    2  # 拍卖变卖规定 Art. 24: a movable unsold twice is offset or released, never auctioned a third time
)

# --- the lot -----------------------------------------------------------------------------------------------

RULE_START = _law(
    "网拍规定 Art. 10: the starting price is the reserve and at least 70% of the reference price",
    WP,
    "第十条",
    "网络司法拍卖应当确定保留价，拍卖保留价即为起拍价……起拍价不得低于评估价或者市价的百分之七十",
)
RULE_DEPOSIT = _law(
    "网拍规定 Art. 17: the deposit is 5% to 20% of the starting price",
    WP,
    "第十七条",
    "保证金数额由人民法院在起拍价的百分之五至百分之二十范围内确定",
)
RULE_INCREMENT = _law(
    "网拍规定 Art. 20: bids rise from the starting price by the increment the court sets",
    WP,
    "第二十条",
    "网络司法拍卖从起拍价开始以递增出价方式竞价，增价幅度由人民法院确定",
)
RULE_INCREMENT_TABLE = Rule(
    "platform rule: the default increments by starting price (the law leaves the increment to the court)",
    f"{PLATFORM}：按起拍价区间给出默认加价幅度；增价幅度由人民法院确定，可逐件另定",
)
RULE_ANNOUNCE = _law(
    "网拍规定 Art. 12: a movable is announced at least 15 days before the auction",
    WP,
    "第十二条",
    "拍卖动产的，应当在拍卖十五日前公告",
)
RULE_DURATION = _law(
    "网拍规定 Art. 20: bidding lasts at least 24 hours",
    WP,
    "第二十条",
    "网络司法拍卖的竞价时间应当不少于二十四小时",
)
RULE_BALANCE = _law(
    "网拍规定 Art. 25: the buyer pays the balance within the period the announcement sets",
    WP,
    "第二十五条",
    "买受人应当在拍卖公告确定的期限内将剩余价款交付人民法院指定账户",
)
RULE_VALIDITY = _law(
    "参考价规定 Art. 27: the first announcement within the price's validity, "
    "the sale at most 6 months after it",
    CKJ,
    "第二十七条",
    "人民法院在议价、询价、评估结果有效期内发布一拍拍卖公告或者直接进入变卖程序，"
    "拍卖、变卖时未超过有效期六个月的，无需重新确定参考价",
)
RULE_NOTICE = _law(
    "网拍规定 Art. 16: parties and known priority buyers are told at least 3 days before the announcement; "
    "an unreachable one 5 days after publication on the platform",
    WP,
    "第十六条",
    "网络司法拍卖的事项应当在拍卖公告发布三日前以书面或者其他能够确认收悉的合理方式，"
    "通知当事人、已知优先购买权人……无法通知的，应当在网络司法拍卖平台公示并说明无法通知的理由，"
    "公示满五日视为已经通知",
)
RULE_DISCLOSURE = _law(
    "网拍规定 Art. 13: what the platform shows on the day of the announcement",
    WP,
    "第十三条",
    "实施网络司法拍卖的，人民法院应当在拍卖公告发布当日通过网络司法拍卖平台公示下列信息",
)
RULE_WARNINGS = _law(
    "网拍规定 Art. 14: the special warnings shown on the day of the announcement",
    WP,
    "第十四条",
    "实施网络司法拍卖的，人民法院应当在拍卖公告发布当日通过网络司法拍卖平台对下列事项予以特别提示",
)

# --- rounds ------------------------------------------------------------------------------------------------

RULE_UNSOLD = _law(
    "网拍规定 Art. 26: an auction is unsold when nobody bid; only then is it auctioned again",
    WP,
    "第二十六条",
    "网络司法拍卖竞价期间无人出价的，本次拍卖流拍",
)
RULE_AGAIN_WITHIN = _law(
    "网拍规定 Art. 26: the re-auction within 30 days, on the same platform",
    WP,
    "第二十六条",
    "流拍后应当在三十日内在同一网络司法拍卖平台再次拍卖",
)
RULE_AGAIN_ANNOUNCE = _law(
    "网拍规定 Art. 26: a movable's re-auction is announced at least 7 days before",
    WP,
    "第二十六条",
    "拍卖动产的应当在拍卖七日前公告",
)
RULE_AGAIN_CUT = _law(
    "网拍规定 Art. 26: the re-auction's starting price is cut by at most 20% of the previous one",
    WP,
    "第二十六条",
    "再次拍卖的起拍价降价幅度不得超过前次起拍价的百分之二十",
)
RULE_NO_THIRD_ROUND = _law(
    "拍卖变卖规定 Art. 24: a movable unsold at the second auction is offset or released, not auctioned again",
    PB,
    "第二十四条",
    "对于第二次拍卖仍流拍的动产，人民法院可以依照本规定第十六条的规定将其作价交申请执行人或者"
    "其他执行债权人抵债。申请执行人或者其他执行债权人拒绝接受或者依法不能交付其抵债的，"
    "人民法院应当解除查封、扣押，并将该动产退还被执行人",
)
RULE_SALE = _law(
    "网拍规定 Art. 26: after the second auction fails, a sale (变卖) on the same platform",
    WP,
    "第二十六条",
    "再次拍卖流拍的，可以依法在同一网络司法拍卖平台变卖",
)
# The online sale's numbers come from an SPC notice of 2017 whose text was not retrieved (RULES §3).
RULE_SALE_SETTINGS = Rule(
    "online sale (变卖) settings, UNCONFIRMED: price = the second auction's starting price, 60 days, "
    "a bidder qualifies by paying the full price, the first bid opens a 24-hour window, the 5-minute rule",
    f"{PLATFORM}：网络司法变卖的默认设置（待核实）：变卖价为二拍起拍价，变卖期六十日，竞买人交纳全款取得资格，"
    "首次出价后进入二十四小时竞价期，仍适用五分钟延时规则",
)
RULE_OFFSET = _law(
    "拍卖变卖规定 Art. 16: an unsold car may go to the creditor in lieu of payment at that auction's "
    "reserve; a claim below the price pays the difference",
    PB,
    "第十六条",
    "申请或者同意以该次拍卖所定的保留价接受拍卖财产的，应当将该财产交其抵债……"
    "承受人应受清偿的债权额低于抵债财产的价额的，人民法院应当责令其在指定的期间内补交差额",
)
RULE_SUSPEND = _law(
    "网拍规定 Art. 28: a stopped auction publishes its reason and resumes within 5 days of the cause ending",
    WP,
    "第二十八条",
    "暂缓或者中止拍卖的，应当及时在网络司法拍卖平台公告原因或者理由。"
    "暂缓拍卖期限届满或者中止拍卖的事由消失后，需要继续拍卖的，应当在五日内恢复拍卖",
)

# --- bidders -----------------------------------------------------------------------------------------------

RULE_EXCLUDED = _law(
    "网拍规定 Art. 34: the court, the platform, the auxiliary firms, their staff and close relatives "
    "may not bid",
    WP,
    "第三十四条",
    "下列机构和人员不得竞买并不得委托他人代为竞买与其行为相关的拍卖财产",
)
RULE_SALE_COURT = _law(
    "民诉法解释 Art. 488: the court and its staff may not buy what it sells (变卖)",
    MSJ,
    "第四百八十八条",
    "对变卖的财产，人民法院或者其工作人员不得买受",
)
RULE_DEFAULTER = _law(
    "网拍规定 Art. 24, 拍卖变卖规定 Art. 22: a buyer who backed out may not bid in the re-auction",
    WP,
    f"第二十四条、{PB}第二十二条",
    "悔拍后重新拍卖的，原买受人不得参加竞买",
)
RULE_DEPOSIT_PAID = _law(
    "网拍规定 Art. 17: a bidder pays the deposit in its real name before bidding; the applicant pays only "
    "what its claim falls short of the deposit",
    WP,
    "第十七条",
    "竞买人应当在参加拍卖前以实名交纳保证金，未交纳的，不得参加竞买。申请执行人参加竞买的，"
    "可以不交保证金；但债权数额小于保证金数额的按差额部分交纳",
)
RULE_CAPACITY = _law(
    "网拍规定 Art. 14: a bidder has full civil capacity",
    WP,
    "第十四条",
    "竞买人应当具备完全民事行为能力",
)
RULE_AGENT = _law(
    "网拍规定 Art. 14: bidding through an agent is confirmed by the court before bidding starts",
    WP,
    "第十四条",
    "委托他人代为竞买的，应当在竞价程序开始前经人民法院确认",
)

# --- bids --------------------------------------------------------------------------------------------------

RULE_BID_START = _law(
    "网拍规定 Art. 20: bidding opens at the starting price; a bid below it is void",
    WP,
    "第二十条",
    "网络司法拍卖从起拍价开始以递增出价方式竞价……竞买人以低于起拍价出价的无效",
)
RULE_BID_TIME = _law(
    "网拍规定 Art. 20: the bidding period, by the time a bid reaches the platform's server",
    WP,
    "第二十条",
    "竞买人的出价时间以进入网络司法拍卖平台服务系统的时间为准",
)
RULE_EXTENSION = _law(
    "网拍规定 Art. 20: a bid in the last 5 minutes moves the end to 5 minutes after it",
    WP,
    "第二十条",
    "竞价程序结束前五分钟内无人出价的，最后出价即为成交价；有出价的，竞价时间自该出价时点顺延五分钟",
)
RULE_PRIORITY_CODE = _law(
    "网拍规定 Art. 19: only a priority buyer the court confirmed bids as one",
    WP,
    "第十九条",
    "未经确认的，不得以优先购买权人身份参与竞买",
)
RULE_PRIORITY_TIE = _law(
    "网拍规定 Art. 21: a priority buyer may bid the same price and wins it; between them the higher rank, "
    "then the earlier bid",
    WP,
    "第二十一条",
    "优先购买权人参与竞买的，可以与其他竞买人以相同的价格出价，没有更高出价的，拍卖财产由优先购买权人竞得。"
    "顺序不同的优先购买权人以相同价格出价的，拍卖财产由顺序在先的优先购买权人竞得。"
    "顺序相同的优先购买权人以相同价格出价的，拍卖财产由出价在先的优先购买权人竞得",
)
RULE_LEADING = Rule(
    "platform rule: the leading bidder waits for another bid before bidding again",
    f"{PLATFORM}：出价领先的竞买人须待他人出价后方可再次出价",
)
RULE_MAXIMUM = Rule(
    "platform rule: where the court allows it, a maximum bid makes the room bid by increments for the "
    "bidder; a maximum is only raised, never lowered",
    f"{PLATFORM}：经人民法院准许，竞买人可设定最高出价，由系统按增价幅度代为出价；最高出价只能提高，不能降低",
)

# --- the close ---------------------------------------------------------------------------------------------

RULE_SOLD = _law(
    "网拍规定 Art. 11: one bid at or above the starting price sells",
    WP,
    "第十一条",
    "一人参与竞拍，出价不低于起拍价的，拍卖成交",
)
RULE_DEPOSITS_BACK = _law(
    "网拍规定 Art. 23: the other bidders' deposits are returned within 24 hours of the end",
    WP,
    "第二十三条",
    "其他竞买人交纳的保证金应当在竞价程序结束后二十四小时内退还或者解冻",
)
RULE_WINNER_DEPOSIT = _law(
    "网拍规定 Art. 25: the buyer's deposit goes to the court's account within 24 hours of the sale",
    WP,
    "第二十五条",
    "拍卖成交后二十四小时内，网络服务提供者应当将冻结的买受人交纳的保证金划入人民法院指定账户",
)
RULE_FEE = _law(
    "参考价规定 Art. 31: one inquiry fee, to the platform closest to the final price, shared on a tie",
    CKJ,
    "第三十一条",
    "网络询价费用应当按次计付给出具网络询价结果与财产处置成交价最接近的司法网络询价平台；"
    "多家司法网络询价平台出具的网络询价结果相同或者与财产处置成交价差距相同的，网络询价费用平均分配",
)
RULE_PLATFORM_LIST = _law(
    "网拍规定 Art. 5: the auction runs on a platform from the SPC's list",
    WP,
    "第五条",
    "网络服务提供者由申请执行人从名单库中选择；未选择或者多个申请执行人的选择不一致的，由人民法院指定",
)

ALL_RULES: tuple[Rule, ...] = tuple(v for k, v in sorted(globals().items()) if k.startswith("RULE_"))
