-- One database per service: a service owns its database and never reads another's (DESIGN.md).
-- The postgres image runs this once, as POSTGRES_USER, when it initialises an empty data volume;
-- on an existing volume it is skipped, so add a database for a new service by hand there too:
--   docker compose exec postgres psql -U postgres -c 'CREATE DATABASE kerjalokal_<service>'
-- Each service applies its own migrations at start-up (`<service> serve`).
CREATE DATABASE kerjalokal_registry;
CREATE DATABASE kerjalokal_vacancies;
CREATE DATABASE kerjalokal_training;
CREATE DATABASE kerjalokal_notify;
CREATE DATABASE kerjalokal_console;
