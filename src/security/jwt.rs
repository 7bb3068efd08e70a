//! Short-lived access tokens: HS256 JWTs signed with the current key, verified
//! with any key still listed by id (`kid`), so keys rotate without logging
//! everyone out.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::configuration::AuthSettings;
use crate::domain::role::Role;

/// Tolerated clock difference between instances, in seconds.
const LEEWAY_SECS: u64 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id.
    pub sub: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dept: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ent: Option<i64>,
    /// The log-in (refresh-token family) the token was issued for; a token
    /// outlives neither its log-out nor the revocation of its log-in.
    #[serde(default)]
    pub sid: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

impl AccessClaims {
    pub fn user_id(&self) -> Option<i64> {
        self.sub.parse().ok()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is not valid")]
    Invalid,
}

pub struct TokenKeys {
    kid: String,
    signing: EncodingKey,
    verifying: HashMap<String, DecodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
    lifetime: Duration,
}

impl TokenKeys {
    pub fn from_settings(auth: &AuthSettings) -> Result<TokenKeys, String> {
        let secret = auth.jwt_secret.expose_secret().as_bytes();
        let mut verifying = HashMap::new();
        verifying.insert(auth.jwt_key_id.clone(), DecodingKey::from_secret(secret));
        for (kid, old) in auth.retired_keys()? {
            verifying
                .entry(kid)
                .or_insert_with(|| DecodingKey::from_secret(old.as_bytes()));
        }
        // Only HS256: a token naming another algorithm (or `none`) is refused
        // before its signature is looked at.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[&auth.jwt_issuer]);
        validation.set_audience(&[&auth.jwt_audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        Ok(TokenKeys {
            kid: auth.jwt_key_id.clone(),
            signing: EncodingKey::from_secret(secret),
            verifying,
            validation,
            issuer: auth.jwt_issuer.clone(),
            audience: auth.jwt_audience.clone(),
            lifetime: Duration::minutes(auth.access_token_minutes),
        })
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Signs an access token for the user, valid from `now`.
    pub fn issue(
        &self,
        user_id: i64,
        role: Role,
        dept: Option<i64>,
        ent: Option<i64>,
        sid: &str,
        now: DateTime<Utc>,
    ) -> String {
        let claims = AccessClaims {
            sub: user_id.to_string(),
            role,
            dept,
            ent,
            sid: sid.to_string(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: (now + self.lifetime).timestamp(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        encode(&header, &claims, &self.signing).expect("HS256 signing cannot fail")
    }

    /// Verifies signature, algorithm, key id, expiry, not-before, issuer and audience.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header = decode_header(token).map_err(|_| TokenError::Invalid)?;
        let key = header
            .kid
            .as_ref()
            .and_then(|kid| self.verifying.get(kid))
            .ok_or(TokenError::Invalid)?;
        match decode::<AccessClaims>(token, key, &self.validation) {
            Ok(data) => Ok(data.claims),
            Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature) => {
                Err(TokenError::Expired)
            }
            Err(_) => Err(TokenError::Invalid),
        }
    }
}
