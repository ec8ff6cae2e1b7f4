"""The deterministic demo company every sandbox starts with.

Fifteen departments over three levels under root 1 and 150 people. Names,
mobiles and dates come from a seeded generator, so every run (and every
machine) sees the same company. 销售部 has more than 100 direct members (every
regional sales rep belongs to both their region and 销售部), which lets tests
page `user/listbypage` and read a >100-member group chat. Two people have not
activated DingTalk yet.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from pypinyin import lazy_pinyin

COMPANY_NAME = "杭州云帆科技有限公司"
EMAIL_DOMAIN = "yunfan-tech.cn"
ROOT_DEPT_ID = 1
SEED = 20240601

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉宇浩凯健俊帆"
    "欣怡佳琪梦婷雪晨阳博文轩子涵思远嘉豪一诺雨桐梓萱浩然若曦天佑志强建国晓峰海燕慧敏立新婉清"
)


@dataclass
class Department:
    """One department, with the classic department/get fields."""

    id: int
    name: str
    name_en: str
    parentid: int | None
    order: int
    create_dept_group: bool = True
    auto_add_user: bool = True
    group_contain_sub_dept: bool = False
    manager_userids: list[str] = field(default_factory=list)
    dept_hiding: bool = False
    source_identifier: str = ""


@dataclass
class User:
    """One member of the demo company, with the classic user/get fields."""

    userid: str
    name: str
    unionid: str
    mobile: str
    email: str
    org_email: str
    position: str
    jobnumber: str
    hired_date: int  # ms since the epoch
    modified: int  # ms since the epoch; drives modify_asc/modify_desc
    departments: list[int]
    order_in_depts: dict[int, int]
    leader_in_depts: dict[int, bool]
    active: bool = True
    is_admin: bool = False
    is_boss: bool = False
    is_hide: bool = False
    is_senior: bool = False
    tel: str = ""
    work_place: str = ""
    remark: str = ""
    manager_userid: str = ""
    extattr: dict[str, str] = field(default_factory=dict)
    roles: list[dict[str, object]] = field(default_factory=list)

    @property
    def pinyin(self) -> str:
        """Pinyin of the name, the default "custom" order when none is defined."""
        return "".join(lazy_pinyin(self.name))


@dataclass
class Company:
    """Departments and users by id, plus convenience lookups."""

    name: str
    departments: dict[int, Department]
    users: dict[str, User]

    def children(self, dept_id: int) -> list[Department]:
        """Direct sub-departments, ordered by `order` ascending."""
        kids = [d for d in self.departments.values() if d.parentid == dept_id]
        return sorted(kids, key=lambda d: (d.order, d.id))

    def descendants(self, dept_id: int) -> list[Department]:
        """All departments below `dept_id`, depth first, each level by `order`."""
        result: list[Department] = []
        for child in self.children(dept_id):
            result.append(child)
            result.extend(self.descendants(child.id))
        return result

    def ancestors(self, dept_id: int) -> list[int]:
        """`dept_id` itself first, then its parents up to the root."""
        path: list[int] = []
        current: int | None = dept_id
        while current is not None:
            path.append(current)
            current = self.departments[current].parentid
        return path

    def members(self, dept_id: int) -> list[User]:
        """Direct members of a department, in the department's custom order."""
        people = [u for u in self.users.values() if dept_id in u.departments]
        return sorted(people, key=lambda u: (u.order_in_depts.get(dept_id, 0), u.pinyin, u.userid))

    def members_deep(self, dept_id: int) -> list[User]:
        """Members of a department and all its sub-departments, each person once."""
        seen: dict[str, User] = {}
        for dept in [dept_id, *(d.id for d in self.descendants(dept_id))]:
            for user in self.members(dept):
                seen.setdefault(user.userid, user)
        return list(seen.values())

    def user_by_unionid(self, unionid: str) -> User | None:
        """The user with this unionid, if any."""
        return next((u for u in self.users.values() if u.unionid == unionid), None)


#: Departments whose own group chat has the internal app's robot as a member (the v1.0
#: robot's group messages, dashboard/sandbox/v1/): 研发中心, 产品部 and 销售部.
ROBOT_GROUP_DEPTS: tuple[int, ...] = (2, 3, 5)

# (id, name, English name, parent, order, regular headcount, positions)
_DEPARTMENTS: tuple[tuple[int, str, str, int | None, int, int, tuple[str, ...]], ...] = (
    (1, COMPANY_NAME, "Yunfan Technology", None, 0, 0, ()),
    (2, "研发中心", "R&D Center", 1, 10, 2, ("架构师",)),
    (3, "产品部", "Product", 1, 20, 5, ("产品经理", "高级产品经理", "交互设计师")),
    (4, "市场部", "Marketing", 1, 30, 3, ("市场专员", "活动策划")),
    (5, "销售部", "Sales", 1, 40, 4, ("销售运营", "商务助理")),
    (6, "人力资源部", "Human Resources", 1, 50, 3, ("HRBP", "招聘专员", "薪酬专员")),
    (7, "财务部", "Finance", 1, 60, 2, ("会计", "出纳")),
    (8, "行政部", "Administration", 1, 70, 2, ("行政专员", "前台")),
    (9, "服务端组", "Backend", 2, 10, 9, ("后端工程师", "高级后端工程师", "运维工程师")),
    (10, "前端组", "Frontend", 2, 20, 6, ("前端工程师", "高级前端工程师")),
    (11, "测试组", "QA", 2, 30, 4, ("测试工程师",)),
    (12, "华东区", "East China", 5, 10, 36, ("销售代表", "大客户经理", "销售代表")),
    (13, "华南区", "South China", 5, 20, 34, ("销售代表", "大客户经理", "销售代表")),
    (14, "华北区", "North China", 5, 30, 30, ("销售代表", "大客户经理", "销售代表")),
    (15, "品牌组", "Brand", 4, 10, 3, ("品牌经理", "文案")),
)

# Department heads: (userid, name, department, position).
_MANAGERS = (
    ("boss01", "周建华", 1, "首席执行官"),
    ("manager01", "陈立新", 2, "研发总监"),
    ("manager02", "林婉清", 3, "产品总监"),
    ("manager03", "黄海燕", 4, "市场总监"),
    ("manager04", "王志强", 5, "销售总监"),
    ("manager05", "刘慧敏", 6, "人力资源总监"),
    ("manager06", "赵晓峰", 7, "财务总监"),
)

_REGIONS = (12, 13, 14)
_SALES = 5


def _unionid(userid: str, seed: int = SEED) -> str:
    salt = f"unionid:{userid}" if seed == SEED else f"unionid:{seed}:{userid}"
    digest = hashlib.sha256(salt.encode()).hexdigest()
    return f"iP{digest[:8]}iE{digest[8:22]}"


def _ms(year: int, day_of_year: int) -> int:
    """Milliseconds of 09:00 China time on a day, without needing a tz database."""
    days = (year - 1970) * 365 + (year - 1969) // 4 + day_of_year - 1
    return (days * 86400 + 3600) * 1000


class _NameSource:
    """Unique, seeded Chinese names."""

    def __init__(self, rng: random.Random, taken: set[str]) -> None:
        self.rng = rng
        self.taken = taken

    def next(self) -> str:
        while True:
            given = "".join(self.rng.choice(GIVEN_CHARS) for _ in range(self.rng.choice((1, 2, 2))))
            name = self.rng.choice(SURNAMES) + given
            if name not in self.taken:
                self.taken.add(name)
                return name


@dataclass(frozen=True)
class Profile:
    """What makes one sandbox company differ from another (same shape, other people)."""

    name: str
    email_domain: str
    seed: int
    jobnumber_prefix: str
    #: department id -> (name, English name); the demo company's names where absent
    dept_names: dict[int, tuple[str, str]] = field(default_factory=dict)
    #: the department heads' names; drawn from the seeded generator when empty
    manager_names: bool = True


DEMO_PROFILE = Profile(COMPANY_NAME, EMAIL_DOMAIN, SEED, "YF")

#: The second ISV demo company (星河物流): its own departments and people.
LOGISTICS_PROFILE = Profile(
    "苏州星河物流有限公司",
    "xinghe-logistics.cn",
    20240602,
    "XH",
    dept_names={
        1: ("苏州星河物流有限公司", "Xinghe Logistics"),
        2: ("运营中心", "Operations Center"),
        3: ("客服部", "Customer Service"),
        4: ("品牌部", "Branding"),
        5: ("运输部", "Transport"),
        6: ("人事部", "People"),
        7: ("结算部", "Billing"),
        8: ("综合部", "General Affairs"),
        9: ("仓储组", "Warehousing"),
        10: ("调度组", "Dispatch"),
        11: ("质检组", "Inspection"),
        12: ("苏州车队", "Suzhou Fleet"),
        13: ("无锡车队", "Wuxi Fleet"),
        14: ("南通车队", "Nantong Fleet"),
        15: ("宣传组", "Publicity"),
    },
    manager_names=False,
)


def profile_for(key: str) -> Profile:
    """A deterministic profile for any other company: the demo shape, people seeded by `key`."""
    seed = int(hashlib.sha256(f"company:{key}".encode()).hexdigest()[:8], 16)
    return Profile(f"{key} 演示企业", f"{key}.example.cn", seed, "DM", manager_names=False)


def build_company(profile: Profile = DEMO_PROFILE) -> Company:
    """Build a company of `profile` (the demo company by default); always the same data."""
    rng = random.Random(profile.seed)
    departments: dict[int, Department] = {}
    for dept_id, name, name_en, parent, order, _, _ in _DEPARTMENTS:
        name, name_en = profile.dept_names.get(dept_id, (name, name_en))
        departments[dept_id] = Department(dept_id, name, name_en, parent, order)
    departments[1].create_dept_group = True
    departments[1].group_contain_sub_dept = True
    departments[5].group_contain_sub_dept = True
    departments[8].auto_add_user = False
    departments[11].create_dept_group = False
    departments[15].create_dept_group = False
    departments[15].source_identifier = "brand-2019"

    users: dict[str, User] = {}
    names = _NameSource(rng, {m[1] for m in _MANAGERS} if profile.manager_names else set())

    def add_user(userid: str, name: str, depts: list[int], position: str, seq: int) -> User:
        year = 2015 + rng.randrange(10)
        hired = _ms(year, 1 + rng.randrange(360))
        user = User(
            userid=userid,
            name=name,
            unionid=_unionid(userid, profile.seed),
            mobile=f"1{rng.choice('3578')}{rng.randrange(10)}{rng.randrange(10**8):08d}",
            email="",
            org_email=f"{userid}@{profile.email_domain}",
            position=position,
            jobnumber=f"{profile.jobnumber_prefix}{seq:04d}",
            hired_date=hired,
            modified=hired + rng.randrange(1, 400) * 86400000,
            departments=depts,
            order_in_depts={d: 10 * (seq % 50) + 10 for d in depts},
            leader_in_depts={d: False for d in depts},
            tel=f"0571-8{rng.randrange(10**6):06d}" if rng.random() < 0.3 else "",
            work_place="杭州市西湖区文三路 90 号" if rng.random() < 0.5 else "",
        )
        user.email = f"{''.join(lazy_pinyin(name))}{seq}@{profile.email_domain}"
        users[userid] = user
        return user

    seq = 0
    for userid, name, dept, position in _MANAGERS:
        seq += 1
        name = name if profile.manager_names else names.next()
        manager = add_user(userid, name, [dept], position, seq)
        manager.order_in_depts[dept] = 1
        manager.leader_in_depts[dept] = True
        manager.is_senior = True
        departments[dept].manager_userids.append(userid)

    counter = 0
    for dept_id, _, _, _, _, headcount, positions in _DEPARTMENTS:
        for index in range(headcount):
            counter += 1
            seq += 1
            depts = [dept_id, _SALES] if dept_id in _REGIONS else [dept_id]
            position = positions[index % len(positions)]
            user = add_user(f"u{counter:04d}", names.next(), depts, position, seq)
            if index == 0 and dept_id not in (1, 2, 5):
                # The first member of a sub-department leads it.
                user.leader_in_depts[dept_id] = True
                user.order_in_depts[dept_id] = 1
                user.position = "组长" if dept_id in (9, 10, 11, 15) else user.position
                if dept_id in _REGIONS:
                    user.position = "区域经理"
                departments[dept_id].manager_userids.append(user.userid)

    # Reporting lines: everyone reports to the head of their first department.
    for user in users.values():
        if user.userid == "boss01":
            continue
        dept = departments[user.departments[0]]
        heads = [m for m in dept.manager_userids if m != user.userid]
        while not heads and dept.parentid is not None:
            dept = departments[dept.parentid]
            heads = [m for m in dept.manager_userids if m != user.userid]
        user.manager_userid = heads[0] if heads else "boss01"

    boss = users["boss01"]
    boss.is_boss = True
    boss.is_admin = True
    boss.extattr = {"爱好": "登山"}
    users["manager05"].is_admin = True
    users["manager05"].roles = [{"id": 1, "name": "人事", "groupName": "职务", "type": 101}]
    users["manager06"].roles = [{"id": 2, "name": "财务", "groupName": "职务", "type": 101}]
    users["manager01"].extattr = {"工位": "A-301"}
    # A few people in more than one department outside sales.
    _join(users["u0033"], 3, order=90)  # a frontend engineer also sits in 产品部
    _join(users["u0016"], 8, order=90)  # an HR specialist also helps 行政部
    _join(users["manager01"], 9, order=2)  # the R&D director also leads the backend team
    users["manager01"].leader_in_depts[9] = True
    users["u0025"].is_admin = True  # an IT admin in 服务端组
    users["u0001"].is_hide = True  # hidden mobile: a senior architect
    users["u0001"].remark = "号码隐藏"
    # Two recent hires have not activated DingTalk yet.
    for userid in ("u0142", "u0143"):
        users[userid].active = False
        users[userid].hired_date = _ms(2025, 300)
        users[userid].modified = users[userid].hired_date
    return Company(profile.name, departments, users)


def _join(user: User, dept_id: int, order: int) -> None:
    user.departments.append(dept_id)
    user.order_in_depts[dept_id] = order
    user.leader_in_depts[dept_id] = False


def loose_map(values: dict[int, object]) -> str:
    """DingTalk's non-strict map string, e.g. "{1:10,2:20}" or "{1:true,2:false}"."""
    parts = []
    for key, value in values.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        parts.append(f"{key}:{text}")
    return "{" + ",".join(parts) + "}"


# --- the large demo company (SANDBOX_COMPANY=large) ------------------------------------

LARGE_PROFILE = Profile(
    "上海千帆集团有限公司", "qianfan-group.cn", 20240610, "QF", manager_names=False
)
LARGE_DEPARTMENTS = 500
LARGE_PEOPLE = 10000
_LARGE_DIVISIONS = 20
_DIVISION_NAMES = ("事业部", "Division")
_TEAM_NAMES = (
    ("产品组", "Product"),
    ("研发组", "Engineering"),
    ("销售组", "Sales"),
    ("运营组", "Operations"),
    ("客服组", "Support"),
)


def build_large_company(profile: Profile = LARGE_PROFILE) -> Company:
    """10,000 people in 500 departments (root, 20 divisions, 479 teams), always the same.

    Twenty people a department, one in fifty also in a second department; the first
    member of each department leads it. Built for the snapshot benchmark.
    """
    rng = random.Random(profile.seed)
    departments: dict[int, Department] = {
        1: Department(1, profile.name, "Qianfan Group", None, 0, group_contain_sub_dept=False)
    }
    for index in range(_LARGE_DIVISIONS):
        dept_id = 2 + index
        departments[dept_id] = Department(
            dept_id,
            f"第{index + 1}{_DIVISION_NAMES[0]}",
            f"{_DIVISION_NAMES[1]} {index + 1}",
            1,
            10 * (index + 1),
        )
    first_team = 2 + _LARGE_DIVISIONS
    for dept_id in range(first_team, LARGE_DEPARTMENTS + 1):
        seq = dept_id - first_team
        parent = 2 + seq % _LARGE_DIVISIONS
        name, name_en = _TEAM_NAMES[seq % len(_TEAM_NAMES)]
        number = seq // _LARGE_DIVISIONS + 1
        departments[dept_id] = Department(
            dept_id,
            f"{name}{number}",
            f"{name_en} {number}",
            parent,
            10 * number,
            create_dept_group=False,
        )
    names = _NameSource(rng, set())
    users: dict[str, User] = {}
    per_dept = LARGE_PEOPLE // LARGE_DEPARTMENTS
    for number in range(1, LARGE_PEOPLE + 1):
        dept_id = (number - 1) // per_dept + 1
        depts = [dept_id]
        if number % 50 == 0:
            depts.append(dept_id % LARGE_DEPARTMENTS + 1)
        userid = f"q{number:05d}"
        hired = _ms(2012 + rng.randrange(13), 1 + rng.randrange(360))
        leads = (number - 1) % per_dept == 0
        user = User(
            userid=userid,
            name=names.next(),
            unionid=_unionid(userid, profile.seed),
            mobile=f"1{rng.choice('3578')}{rng.randrange(10)}{rng.randrange(10**8):08d}",
            email=f"{userid}@{profile.email_domain}",
            org_email=f"{userid}@{profile.email_domain}",
            position="负责人" if leads else "专员",
            jobnumber=f"{profile.jobnumber_prefix}{number:05d}",
            hired_date=hired,
            modified=hired + rng.randrange(1, 400) * 86400000,
            departments=depts,
            order_in_depts={d: (number - 1) % per_dept + 1 for d in depts},
            leader_in_depts={d: leads and d == dept_id for d in depts},
        )
        users[userid] = user
        if leads:
            departments[dept_id].manager_userids.append(userid)
    users["q00001"].is_boss = True
    users["q00001"].is_admin = True
    for user in users.values():
        dept = departments[user.departments[0]]
        heads = [m for m in dept.manager_userids if m != user.userid]
        user.manager_userid = heads[0] if heads else "q00001"
    return Company(profile.name, departments, users)


def company_for(kind: str) -> Company:
    """The sandbox's own company by the `company` setting: "demo" (150 people) or "large"."""
    return build_large_company() if kind == "large" else build_company()
