DROP TABLE categories;
ALTER TABLE departments DROP COLUMN phone;
