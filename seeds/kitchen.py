"""What the demo canteens buy and cook: staples and their daily draw, prices, origins,
dishes and the hours of a school day. Amounts per person follow the national guideline
for school meals (WS/T 554-2017); prices, origins and times are demo values, not market data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from decimal import Decimal

from canteens.models import Meal

# WS/T 554-2017《学生餐营养指南》, 每人每天午餐、晚餐的食物种类及数量 (g per person at one
# lunch or one dinner), for ages 6–8, 9–11, 12–14 and 15–17. Read from a reproduction of the
# standard's table (max.book118.com), not from the published text: check it before relying on it.
GUIDELINE_PER_MEAL_G: dict[str, tuple[tuple[float, float], ...]] = {
    "谷薯类": ((100, 120), (120, 140), (140, 160), (140, 160)),
    "蔬菜类": ((120, 140), (140, 160), (160, 180), (180, 200)),
    "水果类": ((60, 80), (80, 100), (100, 120), (120, 140)),
    "畜禽肉类": ((12, 16), (16, 20), (20, 24), (24, 28)),
    "鱼虾类": ((12, 16), (16, 20), (20, 24), (20, 24)),
    "蛋类": ((20, 20), (20, 20), (30, 30), (30, 30)),
    "大豆类及其制品": ((30, 30), (35, 35), (40, 40), (50, 50)),
    "植物油": ((10, 10), (10, 10), (10, 10), (15, 15)),
    "盐": ((2, 2), (2, 2), (2, 2), (2.5, 2.5)),
}
# Which age columns a school's eaters fall in. The guideline covers 6–17: kindergartens
# take the youngest column, the nearest it has.
AGE_COLUMNS: dict[str, tuple[int, ...]] = {
    "幼儿园": (0,), "小学": (0, 1), "初中": (2,), "九年一贯": (1, 2), "九年一贯制": (1, 2), "高中": (3,), "职校": (3,),
}
# Milk is the 课间奶: one 250 mL box a student a day, the guideline's 200–300 g of milk a day.
# Vegetables are bought untrimmed; roughly a tenth goes to peel, roots and outer leaves.
VEGETABLE_TRIM = 1.10


def per_meal_kg(group: str, kind: str) -> float:
    """The guideline's middle amount of a food group for one person at one lunch or dinner, in kg."""
    columns = AGE_COLUMNS.get(kind, (1, 2))
    ranges = [GUIDELINE_PER_MEAL_G[group][c] for c in columns]
    return sum((low + high) / 2 for low, high in ranges) / len(ranges) / 1000


@dataclass(frozen=True)
class Staple:
    group: str | None  # guideline food group its lunch and dinner amounts come from
    shares: dict[Meal, float]  # share of the group's per-meal amount (or kg per person without a group)
    dish: str  # the dish it is cooked into; "" for what goes into the whole meal (oil, seasonings)
    weekly: bool = False  # seasonings leave the store once a week, not every day

    def per_person(self, kind: str) -> dict[Meal, float]:
        """Base units per person at each meal that uses it."""
        if self.group is None:
            return dict(self.shares)
        amount = per_meal_kg(self.group, kind)
        # Breakfast is not in the lunch-and-dinner table: its shares are of the same amount.
        return {meal: amount * share for meal, share in self.shares.items()}


# A day school serves lunch only; 高中 and 职校 board and serve three meals. Each staple is
# taken out of the store once a day (once a week for seasonings) for its first meal. Grain
# at lunch and dinner adds up to the guideline's 谷薯类 (rice, steamed buns, noodles).
STAPLES: dict[str, Staple] = {
    "rice": Staple("谷薯类", {Meal.lunch: 0.65, Meal.dinner: 0.55}, "米饭"),
    "P-FLOUR-01": Staple("谷薯类", {Meal.breakfast: 0.45, Meal.lunch: 0.25, Meal.dinner: 0.45}, "馒头、花卷"),
    "P-NOODLE-01": Staple("谷薯类", {Meal.lunch: 0.10}, "西红柿鸡蛋面"),
    "P-MILLET-01": Staple("谷薯类", {Meal.breakfast: 0.12}, "小米粥"),
    "P-CORN-01": Staple("谷薯类", {Meal.breakfast: 0.08}, "玉米面粥"),
    # Oil and seasonings go into the whole meal, not into a dish of their own (no dish, no sample).
    "oil": Staple("植物油", {Meal.lunch: 1.0, Meal.dinner: 1.0}, ""),
    # Salt and soy sauce together make up the guideline's 盐 (1 L of soy sauce ≈ 0.15 kg of salt).
    "P-SALT-01": Staple("盐", {Meal.lunch: 0.75, Meal.dinner: 0.75}, "", weekly=True),
    "P-SOY-01": Staple("盐", {Meal.lunch: 1.6, Meal.dinner: 1.6}, "", weekly=True),
    "P-VINEGAR-01": Staple(None, {Meal.lunch: 0.002}, "", weekly=True),
    "P-SUGAR-01": Staple(None, {Meal.lunch: 0.002}, "", weekly=True),
}
RICE = ("P-RICE-01", "P-RICE-02")
OILS = ("P-OIL-01", "P-OIL-02", "P-OIL-03")
BOARDING_KINDS = ("高中", "职校")
# Boarders eat lunch and dinner from the day's fresh goods: the guideline gives both meals the
# same amounts, so twice a day school's order, split half and half.
BOARDING_FRESH_FACTOR = 2.0
LUNCH_SHARE = Decimal("0.5")
# Of the days' meat, the share that is frozen rather than chilled pork.
FROZEN_MEAT_SHARE = 0.4
# Fruit and fish are served on a few fixed weekdays per school.
FRUIT_DAYS_PER_WEEK, FISH_DAYS_PER_WEEK = 3, 2

# Typical prices in 分 per base unit (kg or L); demo values, not market data.
PRICE_FEN = {
    "P-RICE-01": 480, "P-RICE-02": 560, "P-FLOUR-01": 400, "P-NOODLE-01": 640, "P-MILLET-01": 900,
    "P-CORN-01": 420, "P-OIL-01": 2600, "P-OIL-02": 1200, "P-OIL-03": 1800, "P-PORK-04": 4200,
    "P-PORK-05": 2300, "P-BEEF-01": 6800, "P-MUTTON-01": 7200, "P-CHICKEN-01": 1900, "P-CHICKEN-02": 1700,
    "P-EGG-01": 1000, "P-FISH-01": 3200, "P-FISH-02": 1800, "P-SHRIMP-01": 9000, "P-VEG-17": 1200,
    "P-MILK-01": 1000, "P-TOFU-01": 600, "P-SALT-01": 300, "P-SOY-01": 1100, "P-VINEGAR-01": 800,
    "P-SUGAR-01": 900,
}
PRICE_BY_CATEGORY = {"肉类": 2800, "蔬菜": 420, "水果": 800}

# Where lots come from, by product code or code family (demo values).
ORIGINS: dict[str, tuple[str, ...]] = {
    "P-RICE": ("黑龙江省五常市", "黑龙江省佳木斯市"), "P-FLOUR": ("山东省德州市", "山东省济南市章丘区"),
    "P-NOODLE": ("山东省德州市",), "P-MILLET": ("山西省长治市沁县",), "P-CORN": ("山东省济南市章丘区",),
    "P-OIL": ("山东省临沂市", "山东省济南市章丘区"), "P-PORK": ("山东省济南市章丘区", "山东省济南市济阳区"),
    "P-BEEF": ("内蒙古自治区通辽市",), "P-MUTTON": ("内蒙古自治区锡林郭勒盟",), "P-CHICKEN": ("山东省潍坊市诸城市",),
    "P-EGG": ("山东省济南市章丘区",), "P-FISH-01": ("浙江省舟山市",), "P-FISH-02": ("山东省泰安市东平县",),
    "P-SHRIMP": ("广东省湛江市",), "P-VEG": ("山东省寿光市", "山东省济南市章丘区", "山东省聊城市莘县"),
    "P-VEG-18": ("山东省济南市章丘区绣惠街道",), "P-FRUIT-01": ("山东省烟台市栖霞市",),
    "P-FRUIT-02": ("海南省乐东黎族自治县",), "P-FRUIT-03": ("江西省赣州市",), "P-FRUIT-04": ("河北省泊头市",),
    "P-MILK": ("山东省济南市章丘区",), "P-TOFU": ("山东省济南市章丘区",), "P-SALT": ("山东省潍坊市",),
    "P-SOY": ("山东省济南市",), "P-VINEGAR": ("山东省济南市",), "P-SUGAR": ("广西壮族自治区南宁市",),
}

DISHES = {
    "P-PORK-01": "青椒肉丝", "P-PORK-02": "肉末茄子", "P-PORK-03": "红烧肉", "P-PORK-04": "糖醋排骨",
    "P-PORK-05": "土豆炖肉", "P-BEEF-01": "土豆烧牛腩", "P-MUTTON-01": "葱爆羊肉", "P-CHICKEN-01": "宫保鸡丁",
    "P-CHICKEN-02": "照烧鸡腿", "P-EGG-01": "西红柿炒鸡蛋", "P-FISH-01": "红烧带鱼", "P-FISH-02": "清蒸草鱼",
    "P-SHRIMP-01": "虾仁滑蛋", "P-TOFU-01": "家常豆腐", "P-MILK-01": "课间奶",
}

MEAL_TIMES = {Meal.breakfast: time(6, 40), Meal.lunch: time(10, 20), Meal.dinner: time(16, 20)}
# Orders go to the platform the afternoon before; lots are registered before dawn.
ORDER_TIME, LOT_TIME, SHIP_TIME, RECEIPT_TIME = time(14, 0), time(4, 0), time(5, 30), time(6, 20)

# 留样 (domain.md §3.2): a sample of every dish, weighed a little over the 125 g minimum, in the
# meal's fridge; the afternoon's staff discard what has been kept its 48 hours. Demo values.
SAMPLE_GRAMS = tuple(range(130, 205, 5))
# Boarding schools keep the evening's samples in a second fridge.
SAMPLE_FRIDGE, DINNER_SAMPLE_FRIDGE = "留样柜1", "留样柜2"
DISCARD_TIME = time(14, 30)
# The day's menu is set (its meals opened) early in the morning, before the deliveries arrive.
MENU_TIME = time(6, 0)
# 陪餐: each school's leaders take turns eating with the students (names are made up).
LEADER_TITLES = ("校长", "副校长", "后勤主任")
LEADER_SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "赵", "孙", "周", "吴", "郑", "高")
LEADER_GIVEN = ("建国", "晓燕", "志强", "丽娟", "海涛", "秀英", "文博", "春梅", "德胜", "玉兰", "立新", "红霞")
