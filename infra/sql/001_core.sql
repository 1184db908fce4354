-- 001_core: the minimal core schema.
-- Applied once by infra/swb-stack (tracked in schema_migrations, which the
-- script creates itself), in one transaction with its schema_migrations row.

-- Idempotent consumers: the reply an agent produced for a request, so a
-- redelivered request is answered from here instead of being executed twice.
CREATE TABLE swb_inbox (
        agent      text,
        request_id text,
        reply_id   text,
        reply      bytea,
        created_at timestamptz DEFAULT now(),
        PRIMARY KEY (agent, request_id)
);

CREATE TABLE users (
        user_id      text PRIMARY KEY,
        display_name text,
        locale       text DEFAULT 'en',
        created_at   timestamptz DEFAULT now()
);
