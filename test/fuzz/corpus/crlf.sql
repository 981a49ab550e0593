-- migrate:revision r1
-- migrate:upgrade
SELECT 1;
