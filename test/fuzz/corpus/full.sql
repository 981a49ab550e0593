-- migrate:revision 2a3f4c9d1cde
-- migrate:down_revision 189b1231afd4, 0aa
-- migrate:message add cascade deletes
-- migrate:branch_labels habits
-- migrate:depends_on 7cce0565853d
-- migrate:transactional false
-- migrate:upgrade
ALTER TABLE a ADD b int;
-- migrate:downgrade
ALTER TABLE a DROP b;
