DROP TABLE sign_windows;
