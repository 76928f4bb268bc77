//! Cursors on the wire: the id core pages after, signed for the listing it belongs to.
//!
//! A cursor is base64url of the id's 16 bytes and the first 16 bytes of an HMAC-SHA256
//! over the listing's name, its scope (whose orders) and the id, under a key derived
//! from the JWT secret, so that every server of a deployment issues and accepts the
//! same cursors, and a cursor that was altered, made up, or issued for another listing
//! is refused as "not one this service issued".
//!
//! The event feed's cursors are a position in the feed (two numbers) instead of an id,
//! signed the same way for the feed alone.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use orders_core::domain::{Cursor, FeedPosition, Invalid};
use sha2::Sha256;
use uuid::Uuid;

const MAC_BYTES: usize = 16;

/// Which listing a cursor pages through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Products,
    /// Orders as `caller` lists them, of one user's or of everyone's.
    Orders {
        caller: Uuid,
        of_user: Option<Uuid>,
    },
    Webhooks,
    /// One webhook's delivery attempts.
    Deliveries {
        webhook: Uuid,
    },
}

impl Listing {
    fn write_into(self, mac: &mut Hmac<Sha256>) {
        match self {
            Listing::Products => mac.update(b"products"),
            Listing::Orders { caller, of_user } => {
                mac.update(b"orders");
                mac.update(caller.as_bytes());
                mac.update(of_user.as_ref().map_or(&[0u8; 16][..], |id| id.as_bytes()));
            }
            Listing::Webhooks => mac.update(b"webhooks"),
            Listing::Deliveries { webhook } => {
                mac.update(b"deliveries");
                mac.update(webhook.as_bytes());
            }
        }
    }
}

/// Signs and checks cursors; cheap to clone.
#[derive(Clone)]
pub struct CursorKey {
    mac: Hmac<Sha256>,
}

impl CursorKey {
    /// The key for a deployment whose JWT secret is `secret`.
    pub fn derive(secret: &[u8]) -> Self {
        let mut derivation = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
        derivation.update(b"orders-server cursor key v1");
        let key = derivation.finalize().into_bytes();
        Self { mac: Hmac::new_from_slice(&key).expect("HMAC takes a key of any length") }
    }

    /// The MAC over `listing` and `id`, before it is finalized or verified.
    fn mac(&self, id: Uuid, listing: Listing) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        listing.write_into(&mut mac);
        mac.update(id.as_bytes());
        mac
    }

    /// The wire form of `cursor` in `listing`.
    pub fn sign(&self, cursor: Cursor, listing: Listing) -> String {
        let id = cursor.last_id();
        let mut bytes = Vec::with_capacity(16 + MAC_BYTES);
        bytes.extend_from_slice(id.as_bytes());
        bytes.extend_from_slice(&self.mac(id, listing).finalize().into_bytes()[..MAC_BYTES]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The cursor `raw` names, if this key signed it for `listing`.
    pub fn verify(&self, raw: &str, listing: Listing) -> Result<Cursor, Invalid> {
        let bytes = self.signed(raw, |payload| {
            let id = Uuid::from_slice(payload).ok()?;
            Some((id, self.mac(id, listing)))
        })?;
        Ok(Cursor::after(bytes))
    }

    /// The MAC over a feed position.
    fn feed_mac(&self, position: FeedPosition) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        mac.update(b"events");
        mac.update(&position.group().to_be_bytes());
        mac.update(&position.sequence().to_be_bytes());
        mac
    }

    /// The wire form of a position in the event feed.
    pub fn sign_position(&self, position: FeedPosition) -> String {
        let mut bytes = Vec::with_capacity(16 + MAC_BYTES);
        bytes.extend_from_slice(&position.group().to_be_bytes());
        bytes.extend_from_slice(&position.sequence().to_be_bytes());
        bytes.extend_from_slice(&self.feed_mac(position).finalize().into_bytes()[..MAC_BYTES]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The feed position `raw` names, if this key signed it for the feed.
    pub fn verify_position(&self, raw: &str) -> Result<FeedPosition, Invalid> {
        self.signed(raw, |payload| {
            let number = |at: usize| Some(i64::from_be_bytes(payload[at..at + 8].try_into().ok()?));
            let position = FeedPosition::new(number(0)?, number(8)?);
            Some((position, self.feed_mac(position)))
        })
    }

    /// What `raw` carries, if its last [`MAC_BYTES`] are the MAC `read` computes over
    /// the 16 bytes before them.
    fn signed<T>(&self, raw: &str, read: impl FnOnce(&[u8]) -> Option<(T, Hmac<Sha256>)>) -> Result<T, Invalid> {
        let refused = || Invalid::new("cursor is not one this service issued for this listing");
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| refused())?;
        if bytes.len() != 16 + MAC_BYTES {
            return Err(refused());
        }
        let (value, mac) = read(&bytes[..16]).ok_or_else(refused)?;
        mac.verify_truncated_left(&bytes[16..]).map_err(|_| refused())?;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_cursor_reads_back_in_its_own_listing_only() {
        let key = CursorKey::derive(b"secret");
        let cursor = Cursor::after(Uuid::now_v7());
        let (ada, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let own = Listing::Orders { caller: ada, of_user: None };
        let signed = key.sign(cursor, own);
        assert_eq!(key.verify(&signed, own), Ok(cursor));
        assert_eq!(CursorKey::derive(b"secret").verify(&signed, own), Ok(cursor), "every server shares the key");
        for other in [
            Listing::Products,
            Listing::Orders { caller: bob, of_user: None },
            Listing::Orders { caller: ada, of_user: Some(bob) },
        ] {
            assert!(key.verify(&signed, other).is_err(), "{other:?}");
        }
        assert!(CursorKey::derive(b"another secret").verify(&signed, own).is_err());
    }

    #[test]
    fn a_feed_position_reads_back_and_is_no_cursor_of_a_list() {
        let key = CursorKey::derive(b"secret");
        let position = FeedPosition::new(812_345, 77);
        let signed = key.sign_position(position);
        assert_eq!(key.verify_position(&signed), Ok(position));
        assert!(key.verify(&signed, Listing::Products).is_err());
        let listed = key.sign(Cursor::after(Uuid::now_v7()), Listing::Webhooks);
        assert!(key.verify_position(&listed).is_err());
        assert!(CursorKey::derive(b"another secret").verify_position(&signed).is_err());
    }

    #[test]
    fn altered_or_made_up_cursors_are_refused() {
        let key = CursorKey::derive(b"secret");
        let signed = key.sign(Cursor::after(Uuid::now_v7()), Listing::Products);
        let mut bytes = URL_SAFE_NO_PAD.decode(&signed).unwrap();
        bytes[3] ^= 1;
        let unsigned = URL_SAFE_NO_PAD.encode(Uuid::now_v7().as_bytes());
        for bad in [URL_SAFE_NO_PAD.encode(&bytes), unsigned, String::new(), "!!!!".into(), signed[..20].into()] {
            assert!(key.verify(&bad, Listing::Products).is_err(), "{bad:?}");
        }
    }
}
