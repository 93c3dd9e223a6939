-- The request that caused a message: its delivery continues that request's trace.
ALTER TABLE outbox ADD COLUMN traceparent TEXT;
