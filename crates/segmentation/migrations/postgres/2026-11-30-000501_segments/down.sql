DROP TABLE segment_changes;
DROP TABLE segment_assignments;
