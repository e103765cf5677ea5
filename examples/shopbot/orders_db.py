"""The shop's orders database: a small DuckDB file with customers, orders, items and products.

ShopBot looks orders up in it with the SQL tool and its return policy checks
claims against it. The data is fixed (written here, not generated), so tests
and demos see the same shop every time::

    python examples/shopbot/orders_db.py /tmp/shopbot/orders.duckdb

Customer emails use the reserved ``example.*`` domains.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SCHEMA = """
CREATE TABLE customers (
    customer_id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    email VARCHAR NOT NULL UNIQUE
);
CREATE TABLE products (
    sku VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    size VARCHAR,
    color VARCHAR,
    price DECIMAL(8, 2) NOT NULL
);
CREATE TABLE orders (
    order_id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (customer_id),
    order_date DATE NOT NULL,
    status VARCHAR NOT NULL,
    delivered_on DATE
);
CREATE TABLE order_items (
    order_id INTEGER NOT NULL REFERENCES orders (order_id),
    sku VARCHAR NOT NULL REFERENCES products (sku),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price DECIMAL(8, 2) NOT NULL,
    PRIMARY KEY (order_id, sku)
);
COMMENT ON COLUMN orders.status IS 'processing, shipped, delivered or cancelled';
COMMENT ON COLUMN order_items.sku IS 'join products on sku';
"""

CUSTOMERS: list[tuple[int, str, str]] = [
    (1, "Ann Lee", "ann@example.com"),
    (2, "Ben Ortiz", "ben.ortiz@example.org"),
    (3, "Chloe Martin", "chloe.martin@example.net"),
    (4, "Dev Patel", "dev.patel@example.com"),
    (5, "Emma Schulz", "emma.schulz@example.org"),
    (6, "Femi Adeyemi", "femi@example.net"),
    (7, "Grace Kim", "grace.kim@example.com"),
    (8, "Hugo Silva", "hugo.silva@example.org"),
]

PRODUCTS: list[tuple[str, str, str, str | None, str | None, str]] = [
    ("JEANS-32-BLUE", "Slim jeans", "jeans", "W32", "blue", "59.90"),
    ("JEANS-34-BLACK", "Straight jeans", "jeans", "W34", "black", "64.90"),
    ("JEANS-30-BLUE", "Relaxed jeans", "jeans", "W30", "light blue", "54.90"),
    ("TEE-M-WHITE", "Cotton t-shirt", "tops", "M", "white", "14.90"),
    ("TEE-L-BLACK", "Cotton t-shirt", "tops", "L", "black", "14.90"),
    ("HOODIE-L-GREY", "Zip hoodie", "tops", "L", "grey", "44.90"),
    ("SNEAKER-42-WHITE", "Canvas sneakers", "shoes", "EU 42", "white", "49.90"),
    ("JACKET-M-NAVY", "Rain jacket", "outerwear", "M", "navy", "89.90"),
    ("BELT-90-BROWN", "Leather belt", "accessories", "90 cm", "brown", "24.90"),
    ("SOCKS-3PK", "Socks, 3 pairs", "accessories", "one size", "mixed", "9.90"),
]

# order_id, customer_id, order_date, status, delivered_on
ORDERS: list[tuple[int, int, str, str, str | None]] = [
    (1001, 1, "2025-03-02", "delivered", "2025-03-05"),
    (1002, 2, "2025-03-04", "delivered", "2025-03-07"),
    (1003, 3, "2025-03-09", "delivered", "2025-03-12"),
    (1004, 1, "2025-03-15", "delivered", "2025-03-18"),
    (1005, 4, "2025-03-18", "cancelled", None),
    (1006, 5, "2025-03-21", "delivered", "2025-03-25"),
    (1007, 6, "2025-03-24", "delivered", "2025-03-27"),
    (1008, 7, "2025-03-28", "delivered", "2025-04-01"),
    (1009, 2, "2025-04-02", "delivered", "2025-04-04"),
    (1010, 8, "2025-04-05", "delivered", "2025-04-09"),
    (1011, 3, "2025-04-08", "shipped", None),
    (1012, 4, "2025-04-10", "delivered", "2025-04-14"),
    (1013, 5, "2025-04-12", "processing", None),
    (1014, 6, "2025-04-13", "delivered", "2025-04-16"),
    (1015, 7, "2025-04-15", "delivered", "2025-04-18"),
]

# order_id, sku, quantity (the unit price is the product's price)
ORDER_ITEMS: list[tuple[int, str, int]] = [
    (1001, "JEANS-32-BLUE", 1),
    (1001, "TEE-M-WHITE", 2),
    (1002, "JEANS-34-BLACK", 1),
    (1002, "BELT-90-BROWN", 1),
    (1003, "HOODIE-L-GREY", 1),
    (1004, "SNEAKER-42-WHITE", 1),
    (1004, "SOCKS-3PK", 2),
    (1005, "JACKET-M-NAVY", 1),
    (1006, "JEANS-30-BLUE", 1),
    (1006, "TEE-L-BLACK", 1),
    (1007, "JEANS-32-BLUE", 2),
    (1008, "JACKET-M-NAVY", 1),
    (1008, "TEE-M-WHITE", 1),
    (1009, "SOCKS-3PK", 1),
    (1010, "JEANS-34-BLACK", 1),
    (1010, "HOODIE-L-GREY", 1),
    (1011, "SNEAKER-42-WHITE", 1),
    (1012, "BELT-90-BROWN", 1),
    (1012, "TEE-L-BLACK", 3),
    (1013, "JEANS-30-BLUE", 1),
    (1014, "HOODIE-L-GREY", 1),
    (1014, "SOCKS-3PK", 1),
    (1015, "JEANS-32-BLUE", 1),
    (1015, "BELT-90-BROWN", 1),
]

#: The tables ShopBot's SQL tool may read. ``customers`` (names and emails) is not
#: among them: the bot learns who a customer is only through ``verify_customer``.
BOT_TABLES = ("orders", "order_items", "products")


def create_orders_db(path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the fixture database to ``path`` and close it; returns the path.

    An existing file is left alone unless ``overwrite`` (it may be the user's own
    copy with changes). The connection is closed before returning: DuckDB refuses
    a read-only connection to a file this process still has open for writing.
    """
    import duckdb

    target = Path(path).expanduser()
    if target.exists():
        if not overwrite:
            return target
        target.unlink()
        Path(f"{target}.wal").unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    prices = {sku: price for sku, *_, price in PRODUCTS}
    conn = duckdb.connect(str(target))
    try:
        conn.execute(SCHEMA)
        conn.executemany("INSERT INTO customers VALUES (?, ?, ?)", CUSTOMERS)
        conn.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?, ?)", PRODUCTS)
        conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?)", ORDERS)
        conn.executemany(
            "INSERT INTO order_items VALUES (?, ?, ?, ?)",
            [(order, sku, qty, prices[sku]) for order, sku, qty in ORDER_ITEMS],
        )
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create ShopBot's orders database (DuckDB).")
    parser.add_argument("path", help="where to write the .duckdb file")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing file")
    args = parser.parse_args(argv)
    path = create_orders_db(args.path, overwrite=args.overwrite)
    print(f"orders database at {path}: {len(CUSTOMERS)} customers, {len(ORDERS)} orders")
    return 0


if __name__ == "__main__":
    sys.exit(main())
