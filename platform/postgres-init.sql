-- Run once by the postgres image, as the superuser, when the database volume is first created
-- (compose.yaml mounts it into /docker-entrypoint-initdb.d/).
--
-- The application connects as peerbench_app: an ordinary login role that owns no table, is not a superuser
-- and has no BYPASSRLS, so row-level security filters every query it makes. Migrations run as the database
-- owner (MIGRATIONS_DATABASE_URL), and `peerbench db upgrade` grants the group roles peerbench_tenant and
-- peerbench_recompute to the login role named in DATABASE_URL.
--
-- The password comes from PEERBENCH_APP_PASSWORD in platform/.env (psql's \getenv); DATABASE_URL must carry
-- the same password.
\getenv app_password PEERBENCH_APP_PASSWORD
create role peerbench_app login nosuperuser nocreatedb nocreaterole nobypassrls password :'app_password';
