-- 010_analytics: the aggregates swb-analytics (lib/swb_analytics.c) keeps from
-- the AuditEvents of swb.audit. Applied once by infra/swb-stack.
--
-- Idempotency: each AuditEvent is counted in one transaction that first
-- inserts its event_id into analytics_processed_events; when that row already
-- exists (a replay of the topic, a redelivery) the event is skipped, so the
-- aggregates below never count an event twice. Times are UTC; hours and days
-- are the event's created_at truncated.

-- Every event counted, once.
CREATE TABLE analytics_processed_events (
        event_id     text PRIMARY KEY,
        request_id   text NOT NULL DEFAULT '',
        stage        text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now()
);

-- One row per request: what later events of the request need (its intent,
-- from the `classified` event; when it was first seen, for latency).
CREATE TABLE analytics_requests (
        request_id text PRIMARY KEY,
        tenant_id  text NOT NULL DEFAULT 'default',
        user_id    text NOT NULL DEFAULT '',
        intent     text,
        domain     text,
        first_at   timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
);

-- `received` events seen before their request's intent was known (the
-- supervisor's, always: it classifies right after); counted in analytics_hourly
-- (events and requests, under the intent) and deleted here when the request's
-- `classified` event arrives.
CREATE TABLE analytics_pending_received (
        request_id text NOT NULL,
        agent      text NOT NULL,
        hour       timestamptz NOT NULL,
        n          integer NOT NULL DEFAULT 1,
        PRIMARY KEY (request_id, agent, hour)
);

-- Per agent, intent and hour. intent is 'unknown' for events of requests that
-- were never classified (rejected, dead-lettered) or seen before their
-- classification.
--   events        every AuditEvent of the agent
--   requests      `received` events (the supervisor's: every request that
--                 passed validation; a domain agent's: the requests routed to it)
--   replied_*     `replied` events by details.status (ok, error, rejected,
--                 out_of_scope; anything else: other)
--   failed, dead_lettered, tool_calls, model_calls: events of those stages
--   tokens_*, cost_usd: summed over every event
--   latency_*:    `replied` events: duration_ms, or else the time since the
--                 request's first event; the distribution is analytics_latency
CREATE TABLE analytics_hourly (
        hour                 timestamptz NOT NULL,
        agent                text NOT NULL,
        intent               text NOT NULL,
        events               bigint NOT NULL DEFAULT 0,
        requests             bigint NOT NULL DEFAULT 0,
        replied_ok           bigint NOT NULL DEFAULT 0,
        replied_error        bigint NOT NULL DEFAULT 0,
        replied_rejected     bigint NOT NULL DEFAULT 0,
        replied_out_of_scope bigint NOT NULL DEFAULT 0,
        replied_other        bigint NOT NULL DEFAULT 0,
        failed               bigint NOT NULL DEFAULT 0,
        dead_lettered        bigint NOT NULL DEFAULT 0,
        tool_calls           bigint NOT NULL DEFAULT 0,
        model_calls          bigint NOT NULL DEFAULT 0,
        tokens_in            bigint NOT NULL DEFAULT 0,
        tokens_out           bigint NOT NULL DEFAULT 0,
        cost_usd             numeric NOT NULL DEFAULT 0,
        latency_count        bigint NOT NULL DEFAULT 0,
        latency_sum_ms       bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (hour, agent, intent)
);

-- The latency histogram of analytics_hourly: `count` replies took at most
-- le_ms milliseconds and more than the next smaller bound (not cumulative;
-- le_ms = 'Infinity' for the last bucket). Percentiles: merge the rows of the
-- hours and agents wanted, then interpolate within the bucket that holds the
-- rank (swb_analytics_percentile(); `swb-analytics report`).
CREATE TABLE analytics_latency (
        hour   timestamptz NOT NULL,
        agent  text NOT NULL,
        intent text NOT NULL,
        le_ms  double precision NOT NULL,
        count  bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (hour, agent, intent, le_ms)
);

-- Per user and day: requests (`replied` events), bookings (`tool_called`
-- events of a booking tool that succeeded), tokens and spend.
CREATE TABLE analytics_user_daily (
        day        date NOT NULL,
        tenant_id  text NOT NULL,
        user_id    text NOT NULL,
        events     bigint NOT NULL DEFAULT 0,
        requests   bigint NOT NULL DEFAULT 0,
        bookings   bigint NOT NULL DEFAULT 0,
        tokens_in  bigint NOT NULL DEFAULT 0,
        tokens_out bigint NOT NULL DEFAULT 0,
        cost_usd   numeric NOT NULL DEFAULT 0,
        PRIMARY KEY (day, tenant_id, user_id)
);

