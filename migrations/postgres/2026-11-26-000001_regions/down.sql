DROP TABLE departments;
DROP TABLE chains;
DROP TABLE regions;
