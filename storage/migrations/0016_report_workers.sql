-- Which process builds a report file ('host:pid:start-time', as runs.owner), so a build left
-- 'queued' or 'running' by a process that was killed is marked failed instead of running
-- forever. Files claimed before this migration have no worker and are left as they are.
ALTER TABLE report_files ADD COLUMN worker TEXT NOT NULL DEFAULT '';
