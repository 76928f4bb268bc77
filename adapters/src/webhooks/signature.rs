//! Standard Webhooks signatures (<https://www.standardwebhooks.com>): a delivery carries
//! `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`, which is
//! `v1,` and the base64 of the HMAC-SHA256, keyed with the secret's bytes, of
//! `"{id}.{timestamp}.{body}"`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The `webhook-signature` header of a delivery of `body` with this `id` and
/// `timestamp`, signed with `key` (a secret's bytes).
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::sign;
    use orders_core::domain::WebhookSecret;

    #[test]
    fn signs_as_the_specifications_example_does() {
        // The example of the Standard Webhooks specification (spec/standard-webhooks.md).
        let secret = WebhookSecret::stored("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature =
            sign(&secret.key().unwrap(), "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, r#"{"test": 2432232314}"#);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
