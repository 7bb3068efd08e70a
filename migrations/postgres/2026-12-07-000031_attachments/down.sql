DROP TABLE attachment_objects;
DROP TABLE attachments;
