"""What the demo canteens buy and cook: staples and their daily draw, prices, origins,
dishes and the hours of a school day. Demo values, not market or nutrition data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from decimal import Decimal

from canteens.models import Meal


@dataclass(frozen=True)
class Staple:
    per_person: dict[Meal, float]  # base units per person at each meal that uses it
    dish: str
    weekly: bool = False  # seasonings leave the store once a week, not every day


# A day school serves lunch only; 高中 and 职校 board and serve three meals. Each staple is
# taken out of the store once a day (once a week for seasonings) for its first meal.
STAPLES: dict[str, Staple] = {
    "rice": Staple({Meal.lunch: 0.15, Meal.dinner: 0.12}, "米饭"),
    "P-FLOUR-01": Staple({Meal.breakfast: 0.08, Meal.lunch: 0.04, Meal.dinner: 0.06}, "馒头、花卷"),
    "P-NOODLE-01": Staple({Meal.lunch: 0.02}, "西红柿鸡蛋面"),
    "P-MILLET-01": Staple({Meal.breakfast: 0.02}, "小米粥"),
    "P-CORN-01": Staple({Meal.breakfast: 0.015}, "玉米面粥"),
    "oil": Staple({Meal.lunch: 0.02, Meal.dinner: 0.015}, "烹调用油"),
    "P-SALT-01": Staple({Meal.lunch: 0.004, Meal.dinner: 0.003}, "本周调味", weekly=True),
    "P-SOY-01": Staple({Meal.lunch: 0.004, Meal.dinner: 0.003}, "本周调味", weekly=True),
    "P-VINEGAR-01": Staple({Meal.lunch: 0.002}, "本周调味", weekly=True),
    "P-SUGAR-01": Staple({Meal.lunch: 0.002}, "本周调味", weekly=True),
}
RICE = ("P-RICE-01", "P-RICE-02")
OILS = ("P-OIL-01", "P-OIL-02", "P-OIL-03")
BOARDING_KINDS = ("高中", "职校")
# Boarders eat lunch and dinner from the day's fresh goods: more of them, split 55/45.
BOARDING_FRESH_FACTOR = 1.8
LUNCH_SHARE = Decimal("0.55")

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
