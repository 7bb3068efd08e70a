-- Substring search in titles and descriptions that works for Chinese:
-- an FTS5 index with the trigram tokenizer, kept in step by triggers.
CREATE VIRTUAL TABLE ticket_search USING fts5(
    title, description, content = 'tickets', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_search (rowid, title, description) VALUES (new.id, new.title, new.description);
END;
CREATE TRIGGER tickets_search_delete AFTER DELETE ON tickets BEGIN
    INSERT INTO ticket_search (ticket_search, rowid, title, description)
    VALUES ('delete', old.id, old.title, old.description);
END;
CREATE TRIGGER tickets_search_update AFTER UPDATE OF title, description ON tickets BEGIN
    INSERT INTO ticket_search (ticket_search, rowid, title, description)
    VALUES ('delete', old.id, old.title, old.description);
    INSERT INTO ticket_search (rowid, title, description) VALUES (new.id, new.title, new.description);
END;
