DROP TABLE ticket_changes;
DROP TABLE ticket_comments;
DROP TABLE ticket_ratings;
DROP TABLE tickets;
