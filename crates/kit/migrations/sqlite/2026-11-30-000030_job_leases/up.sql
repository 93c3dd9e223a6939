-- One row per periodic job: the replica that moves run_after forward runs the job this
-- period; the others wait until run_after.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    run_after TIMESTAMP NOT NULL,
    holder TEXT NOT NULL
);
