<?php
// The whole app: record this visit in the database and show the count.
// Plain text on purpose, so `curl -s http://127.0.0.1:8080/ | grep visits:` is a test.
declare(strict_types=1);

header('Content-Type: text/plain; charset=utf-8');
header('Cache-Control: no-store');

// Only "/" is a page: a browser's /favicon.ico must not count as a visit.
$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH);
if ($path !== '/' && $path !== '/index.php') {
    http_response_code(404);
    echo "not found\n";
    return;
}

function required_env(string $name): string
{
    $value = getenv($name);
    if ($value === false || $value === '') {
        throw new RuntimeException("environment variable $name is not set");
    }
    return $value;
}

function connect(): PDO
{
    $dsn = sprintf(
        'mysql:host=%s;port=%s;dbname=%s;charset=utf8mb4',
        required_env('DB_HOST'),
        getenv('DB_PORT') ?: '3306',
        required_env('DB_NAME'),
    );
    return new PDO($dsn, required_env('DB_USER'), required_env('DB_PASSWORD'), [
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
        PDO::ATTR_TIMEOUT => 5,
    ]);
}

try {
    $pdo = connect();
    // The same schema as db/initdb.d/01-visits.sql: the app also works against a database
    // that was initialised without that script.
    $pdo->exec(
        'CREATE TABLE IF NOT EXISTS visits (
            id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
            visited_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
            served_by VARCHAR(64) NOT NULL
        )'
    );
    $pdo->prepare('INSERT INTO visits (served_by) VALUES (?)')->execute([gethostname()]);
    $visits = (int) $pdo->query('SELECT COUNT(*) FROM visits')->fetchColumn();
    $version = (string) $pdo->query('SELECT VERSION()')->fetchColumn();
} catch (Throwable $e) {
    http_response_code(503);
    error_log('php-mysql: ' . $e->getMessage());
    printf("error: %s\n", $e->getMessage());
    return;
}

printf("visits: %d\n", $visits);
printf("database: %s on host %s\n", $version, getenv('DB_HOST'));
printf("served by: %s (PHP %s)\n", gethostname(), PHP_VERSION);
