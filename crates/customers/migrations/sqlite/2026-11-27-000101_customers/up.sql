-- The customer ID registry. `id` is the one global sequence every ID format derives from,
-- so IDs can never collide across user types or concurrent creates.
CREATE TABLE customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL UNIQUE,
    short_id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL UNIQUE,
    user_type TEXT NOT NULL CHECK (user_type IN ('buyer', 'seller', 'traveler')),
    name TEXT,
    email TEXT,
    phone TEXT,
    birth_date DATE,
    locale TEXT CHECK (locale IN ('ar', 'en')),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    join_date TIMESTAMP NOT NULL,
    deactivated_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
