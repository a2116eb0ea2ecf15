-- Runs once, when the server initialises an empty data directory, in MARIADB_DATABASE.
-- The app creates the same table if it is missing, so this file is optional.
CREATE TABLE IF NOT EXISTS visits (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    visited_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    served_by VARCHAR(64) NOT NULL
);
