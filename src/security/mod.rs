//! Cryptography behind log-in: password hashing, access tokens (JWT) and
//! opaque refresh tokens.

pub mod jwt;
pub mod passwords;
pub mod refresh;
