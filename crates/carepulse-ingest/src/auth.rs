//! Bearer-token authentication and facility, channel and device scopes.
//!
//! Tokens are long random strings, so a plain SHA-256 is the right hash (a
//! slow password hash would only slow every request). Only hashes are
//! configured; comparing hashes also keeps the comparison time independent
//! of how much of a guessed token is right.

use axum::http::HeaderMap;
use carepulse_model::Channel;
use sha2::{Digest, Sha256};

use crate::problem::ApiError;
use crate::settings::TokenSettings;

/// A token that authenticated a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's configured name.
    pub name: String,
    facility: String,
    channels: Vec<Channel>,
    devices: Vec<String>,
}

impl Caller {
    /// Refuses events for another facility or channel.
    pub fn check_scope(&self, facility: &str, channel: Channel) -> Result<(), ApiError> {
        if facility != self.facility {
            return Err(ApiError::forbidden(format!(
                "token '{}' may submit feedback for facility '{}' only, not '{facility}'",
                self.name, self.facility
            )));
        }
        if !self.channels.is_empty() && !self.channels.contains(&channel) {
            return Err(ApiError::forbidden(format!(
                "token '{}' may not submit feedback by channel '{}'",
                self.name,
                channel.as_str()
            )));
        }
        Ok(())
    }

    /// Refuses presses of devices outside the token's list.
    pub fn check_device(&self, device: &str) -> Result<(), ApiError> {
        if !self.devices.is_empty() && !self.devices.iter().any(|d| d == device) {
            return Err(ApiError::forbidden(format!(
                "token '{}' may not send presses for device '{device}'",
                self.name
            )));
        }
        Ok(())
    }
}

/// Hex SHA-256 of a token, as configured in `[[ingest.tokens]]`.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The configured tokens.
#[derive(Debug, Clone, Default)]
pub struct Authenticator {
    tokens: Vec<([u8; 32], Caller)>,
}

impl Authenticator {
    /// From validated settings (hashes are 64 hex digits).
    pub fn new(tokens: &[TokenSettings]) -> Self {
        let tokens = tokens
            .iter()
            .filter_map(|t| {
                let mut hash = [0u8; 32];
                hex::decode_to_slice(&t.sha256, &mut hash).ok()?;
                Some((
                    hash,
                    Caller {
                        name: t.name.clone(),
                        facility: t.facility.clone(),
                        channels: t.channels.clone(),
                        devices: t.devices.clone(),
                    },
                ))
            })
            .collect();
        Authenticator { tokens }
    }

    /// The caller behind the request's `Authorization: Bearer` header.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<&Caller, ApiError> {
        let header = headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| {
                ApiError::unauthorized("send the API token as 'Authorization: Bearer <token>'")
            })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be 'Bearer <token>'")
            })?;
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        self.tokens
            .iter()
            .find(|(h, _)| *h == hash)
            .map(|(_, caller)| caller)
            .ok_or_else(|| ApiError::unauthorized("the API token is not valid"))
    }
}
