"""The shop's catalogue: sixty products a small homeware shop might sell, with fixed ids.

Hand-written rather than generated so names read naturally and the scenario fixtures can point at
products by id. Names are plain ASCII without commas or quotes, so they survive every context
format a lesson may serialise them into (JSON, YAML-ish, XML-ish) and the brain can match them.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["PRODUCTS", "Product"]


class Product(NamedTuple):
    id: int
    sku: str
    name: str
    category: str
    price_cents: int


_ROWS: tuple[tuple[str, str, int], ...] = (
    # 1-13: the products the scenario fixtures use (see fixtures.py)
    ("Speckled Stoneware Mug", "kitchen", 1850),
    ("Pour-Over Coffee Dripper", "kitchen", 3200),
    ("Ethiopia Whole Bean Coffee 340g", "pantry", 1600),
    ("55-inch 4K Smart TV", "electronics", 89900),
    ("Brass Desk Lamp", "home", 3900),
    ("LED Bulb 2-Pack", "home", 900),
    ("12-inch Cast Iron Skillet", "kitchen", 6400),
    ("Silicone Handle Sleeve", "kitchen", 800),
    ("Packable Rain Jacket", "outdoor", 7900),
    ("Bamboo Cutting Board", "kitchen", 2800),
    ("Waffle Knit Throw Blanket", "bedding", 5800),
    ("Linen Pillowcase Set", "bedding", 2400),
    ("Walnut Serving Tray", "home", 4200),
    # 14-60: the rest of the catalogue
    ("French Press 1L", "kitchen", 3400),
    ("Chef Knife 8-inch", "kitchen", 7200),
    ("Enamel Dutch Oven 5qt", "kitchen", 11900),
    ("Glass Storage Jars Set of 4", "kitchen", 2900),
    ("Olive Wood Salad Servers", "kitchen", 2200),
    ("Electric Gooseneck Kettle", "kitchen", 6900),
    ("Stainless Mixing Bowls", "kitchen", 3600),
    ("Cotton Tea Towels 3-Pack", "kitchen", 1800),
    ("Matcha Whisk Set", "kitchen", 2600),
    ("Sourdough Starter Kit", "pantry", 2400),
    ("Single Origin Dark Chocolate", "pantry", 900),
    ("Wildflower Honey 500g", "pantry", 1400),
    ("Loose Leaf Earl Grey 100g", "pantry", 1200),
    ("Percale Sheet Set Queen", "bedding", 8900),
    ("Down Alternative Pillow", "bedding", 4500),
    ("Weighted Blanket 15lb", "bedding", 13900),
    ("Cotton Quilt Full", "bedding", 12500),
    ("Merino Wool Socks", "apparel", 2100),
    ("Canvas Tote Bag", "apparel", 1900),
    ("Knit Beanie", "apparel", 2500),
    ("Leather Card Wallet", "apparel", 3800),
    ("Ceramic Table Lamp", "home", 6800),
    ("Jute Area Rug 5x7", "home", 14900),
    ("Soy Candle Cedar", "home", 2400),
    ("Linen Curtain Panel", "home", 4900),
    ("Round Wall Mirror", "home", 9500),
    ("Terracotta Planter", "home", 2700),
    ("Wool Throw Pillow Cover", "home", 3200),
    ("Bluetooth Speaker", "electronics", 7900),
    ("Noise Cancelling Headphones", "electronics", 24900),
    ("Wireless Charging Pad", "electronics", 2900),
    ("Smart Plug 2-Pack", "electronics", 2500),
    ("E-Reader 6-inch", "electronics", 13900),
    ("Portable Projector", "electronics", 34900),
    ("USB-C Power Bank", "electronics", 4500),
    ("Insulated Water Bottle", "outdoor", 3200),
    ("Camping Hammock", "outdoor", 5900),
    ("Trail Daypack 20L", "outdoor", 8900),
    ("Folding Camp Chair", "outdoor", 6400),
    ("Headlamp Rechargeable", "outdoor", 3900),
    ("Dot Grid Notebook", "stationery", 1600),
    ("Fountain Pen Starter Set", "stationery", 4200),
    ("Desk Organizer Oak", "stationery", 5400),
    ("Weekly Planner 2027", "stationery", 2200),
    ("Watercolor Paint Set", "stationery", 3600),
    ("Yoga Mat Cork", "fitness", 7400),
    ("Adjustable Dumbbell Pair", "fitness", 19900),
)

PRODUCTS: tuple[Product, ...] = tuple(
    Product(id=index, sku=f"BSG-{index:04d}", name=name, category=category, price_cents=price)
    for index, (name, category, price) in enumerate(_ROWS, start=1)
)
