-- Issue 25, channels: the outbox carries every channel, one row per message
-- and channel. `channel` says how a row leaves (e-mail, a department's
-- WeCom / DingTalk / Feishu group robot, or an SMS to an enterprise);
-- `to_address` is the address on that channel (an e-mail address, the
-- robot's name, a mobile number) and `robot_id` the robot a robot row goes
-- through (its webhook and secret are read when it is sent, so a corrected
-- address reaches what still waits).
ALTER TABLE outbox_messages ADD COLUMN channel TEXT NOT NULL DEFAULT 'email'
    CHECK (channel IN ('email', 'wecom', 'dingtalk', 'feishu', 'sms'));
ALTER TABLE outbox_messages ADD COLUMN robot_id BIGINT;
-- Each channel is claimed on its own, so that one that is down delays only
-- its own messages.
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending_channel ON outbox_messages (channel, next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_robot ON outbox_messages (robot_id) WHERE robot_id IS NOT NULL;

-- A department's group robots: where its notices are posted, and which.
CREATE TABLE department_robots (
    id BIGSERIAL PRIMARY KEY,
    department_id BIGINT NOT NULL REFERENCES departments (id),
    service TEXT NOT NULL CHECK (service IN ('wecom', 'dingtalk', 'feishu')),
    name TEXT NOT NULL,
    -- The webhook carries the robot's token: never shown in full again.
    webhook_url TEXT NOT NULL,
    -- DingTalk's and Feishu's signing secret, if the robot signs.
    secret TEXT,
    -- The notices it posts, comma-separated (`new_ticket,overdue`).
    notices TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_by BIGINT,
    updated_by BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX department_robots_department ON department_robots (department_id);

-- The mobile number an enterprise receives SMS notices on (受理, 要求补充,
-- 办结): a mainland number of 11 digits, kept as the digits.
CREATE TABLE enterprise_mobiles (
    enterprise_id BIGINT PRIMARY KEY NOT NULL REFERENCES enterprises (id),
    mobile TEXT NOT NULL,
    updated_by BIGINT,
    updated_at TIMESTAMP NOT NULL
);
-- Enterprises whose contact phone is a mainland mobile get it as their SMS
-- number (registration asks for a mobile; imports may hold landlines).
INSERT INTO enterprise_mobiles (enterprise_id, mobile, updated_by, updated_at)
SELECT id, contact_phone, NULL, updated_at FROM enterprises
WHERE contact_phone ~ '^1[3-9][0-9]{9}$';

-- Which channels this deployment sends: the service writes it at start from
-- its configuration (SMS only with a provider), and changes queue messages
-- only for the channels that are on.
CREATE TABLE delivery_channels (
    channel TEXT PRIMARY KEY NOT NULL,
    enabled BOOLEAN NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO delivery_channels (channel, enabled, updated_at) VALUES
    ('email', TRUE, CURRENT_TIMESTAMP),
    ('wecom', TRUE, CURRENT_TIMESTAMP),
    ('dingtalk', TRUE, CURRENT_TIMESTAMP),
    ('feishu', TRUE, CURRENT_TIMESTAMP),
    ('sms', FALSE, CURRENT_TIMESTAMP);
