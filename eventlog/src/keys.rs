//! The keys that protect personal data: the key file's key-encryption keys and lookup secret
//! ([`Keyring`]), and the per-aggregate data keys they wrap ([`DataKey`]).
//!
//! The key file lives outside the database, so a copy of the database alone (a backup, a
//! dump) reveals no personal data. It is text, one key per line:
//!
//! ```text
//! lookup <64 hex digits>
//! kek 1 <64 hex digits>
//! kek 2 <64 hex digits>
//! ```
//!
//! The highest-numbered key-encryption key wraps new data keys; older ones stay until every
//! data key they wrapped has been rewrapped (`samtale keys rotate`).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use thiserror::Error;
use zeroize::{Zeroize, Zeroizing};

const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;

#[derive(Debug, Error)]
pub enum KeyError {
    #[error("the key file {path} cannot be read: {cause}")]
    Unreadable { path: String, cause: std::io::Error },
    #[error("the key file {path} cannot be written: {cause}")]
    Unwritable { path: String, cause: std::io::Error },
    #[error("the key file {path} is malformed at line {line}: expected `lookup <hex>` or `kek <n> <hex>` with 64 hex digits")]
    Malformed { path: String, line: usize },
    #[error("the key file {path} holds no key-encryption key or no lookup secret")]
    Incomplete { path: String },
    #[error("the database's personal data is encrypted with keys from a key file, but {path} does not exist: start with SAMTALE_KEY_FILE naming the key file this database was used with (restore it from where it was backed up)")]
    FileMissing { path: String },
    #[error("the key file {path} lacks {name}, which this database's data needs: start with the key file this database was used with")]
    KeyMissing { path: String, name: String },
    #[error("{name} in the key file {path} is not the one this database was used with: start with the key file this database was used with")]
    WrongKey { path: String, name: String },
    #[error("a data key of {aggregate} cannot be unwrapped: it was wrapped by a key-encryption key this key file does not hold")]
    Unwrap { aggregate: String },
}

/// A chat's data key: what its personal fields are encrypted under. Wiped from memory when
/// dropped.
pub struct DataKey(Zeroizing<[u8; KEY_BYTES]>);

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(…)")
    }
}

impl DataKey {
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; KEY_BYTES]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        Self(key)
    }

    /// `nonce ‖ ciphertext` of `plaintext`, bound to `associated`: the ciphertext opens only
    /// with the same associated data, so it cannot be moved to another event or field.
    pub fn seal(&self, plaintext: &[u8], associated: &[u8]) -> Vec<u8> {
        seal(&self.0, plaintext, associated)
    }

    /// The plaintext of [`DataKey::seal`]'s output, or `None` if it was not sealed under this
    /// key with this associated data.
    pub fn open(&self, sealed: &[u8], associated: &[u8]) -> Option<Vec<u8>> {
        open(&self.0, sealed, associated)
    }
}

fn seal(key: &[u8; KEY_BYTES], plaintext: &[u8], associated: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_BYTES];
    // The thread's CSPRNG (ChaCha, seeded and reseeded from the OS): a nonce per value would
    // otherwise cost a system call per message.
    rand::thread_rng().fill_bytes(&mut nonce);
    let cipher = XChaCha20Poly1305::new(key.into());
    let payload = Payload {
        msg: plaintext,
        aad: associated,
    };
    // Encryption fails only for messages longer than the cipher allows (2^38 bytes).
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), payload)
        .unwrap_or_default();
    [nonce.as_slice(), &sealed].concat()
}

fn open(key: &[u8; KEY_BYTES], sealed: &[u8], associated: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE_BYTES {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
    let cipher = XChaCha20Poly1305::new(key.into());
    let payload = Payload {
        msg: ciphertext,
        aad: associated,
    };
    cipher.decrypt(XNonce::from_slice(nonce), payload).ok()
}

/// `parts` joined so that no two different lists join alike: each is length-prefixed.
pub(crate) fn joined(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        out.extend_from_slice(&(part.len() as u64).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

/// The key file's keys.
pub struct Keyring {
    keks: BTreeMap<u32, Zeroizing<[u8; KEY_BYTES]>>,
    lookup: Zeroizing<[u8; KEY_BYTES]>,
}

type HmacSha256 = Hmac<Sha256>;

fn random_key() -> Zeroizing<[u8; KEY_BYTES]> {
    let mut key = Zeroizing::new([0u8; KEY_BYTES]);
    rand::rngs::OsRng.fill_bytes(key.as_mut());
    key
}

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

impl Keyring {
    /// A new key file's keys: one key-encryption key and a lookup secret.
    pub fn generate() -> Self {
        Self {
            keks: BTreeMap::from([(1, random_key())]),
            lookup: random_key(),
        }
    }

    /// The same keys and a new key-encryption key, which wraps data keys from now on.
    pub fn rotated(&self) -> Self {
        let mut keks = self.keks.clone();
        let next = self.current_id() + 1;
        keks.insert(next, random_key());
        Self {
            keks,
            lookup: self.lookup.clone(),
        }
    }

    /// Only the current key-encryption key (and the lookup secret): once every data key is
    /// wrapped by it, the older ones can go.
    pub fn without_old_keys(&self) -> Self {
        let current = self.current_id();
        Self {
            keks: self
                .keks
                .iter()
                .filter(|(id, _)| **id == current)
                .map(|(id, key)| (*id, key.clone()))
                .collect(),
            lookup: self.lookup.clone(),
        }
    }

    pub fn current_id(&self) -> u32 {
        self.keks.keys().next_back().copied().unwrap_or_default()
    }

    pub fn kek_ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.keks.keys().copied()
    }

    /// Reads a key file.
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|cause| KeyError::Unreadable {
            path: shown.clone(),
            cause,
        })?;
        let text = Zeroizing::new(text);
        Self::parse(&text).map_err(|line| match line {
            Some(line) => KeyError::Malformed { path: shown, line },
            None => KeyError::Incomplete { path: shown },
        })
    }

    /// The keys of a key file's text; `Err(Some(line))` for a malformed line, `Err(None)` if
    /// a key is missing.
    fn parse(text: &str) -> Result<Self, Option<usize>> {
        fn key(hex_digits: &str) -> Option<Zeroizing<[u8; KEY_BYTES]>> {
            let mut key = Zeroizing::new([0u8; KEY_BYTES]);
            hex::decode_to_slice(hex_digits, key.as_mut()).ok()?;
            Some(key)
        }
        let mut keks = BTreeMap::new();
        let mut lookup = None;
        for (index, line) in text.lines().enumerate() {
            let malformed = Some(index + 1);
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                [] => {}
                [comment, ..] if comment.starts_with('#') => {}
                ["lookup", secret] => lookup = Some(key(secret).ok_or(malformed)?),
                ["kek", id, secret] => {
                    let id: u32 = id.parse().map_err(|_| malformed)?;
                    keks.insert(id, key(secret).ok_or(malformed)?);
                }
                _ => return Err(malformed),
            }
        }
        match lookup {
            Some(lookup) if !keks.is_empty() => Ok(Self { keks, lookup }),
            _ => Err(None),
        }
    }

    /// The key file's text.
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut text = String::from(
            "# Samtale's key file: the keys that protect the personal data in its database.\n\
             # Keep it secret, and back it up apart from the database: without it the personal\n\
             # data cannot be read, and with the database it can.\n",
        );
        text.push_str(&format!("lookup {}\n", hex::encode(self.lookup.as_ref())));
        for (id, key) in &self.keks {
            text.push_str(&format!("kek {id} {}\n", hex::encode(key.as_ref())));
        }
        Zeroizing::new(text)
    }

    /// Writes the key file readable by its owner only, replacing any file there atomically
    /// (a new file beside it, renamed over it), so a crash leaves the old or the new one.
    pub fn write(&self, path: &Path) -> Result<(), KeyError> {
        let failed = |cause| KeyError::Unwritable {
            path: path.display().to_string(),
            cause,
        };
        let mut partial = path.as_os_str().to_owned();
        partial.push(".new");
        let partial = std::path::PathBuf::from(partial);
        let _ = std::fs::remove_file(&partial);
        {
            use std::io::Write;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(&partial).map_err(failed)?;
            file.write_all(self.to_text().as_bytes()).map_err(failed)?;
            file.sync_all().map_err(failed)?;
        }
        std::fs::rename(&partial, path).map_err(failed)
    }

    /// The check value of each key, by name (`kek 1`, `lookup`): what the database keeps to
    /// know that a key file is the right one, revealing nothing of the keys.
    pub fn checks(&self) -> Vec<(String, Vec<u8>)> {
        const CHECKED: &[u8] = b"samtale key check";
        let mut checks = vec![("lookup".to_string(), hmac(self.lookup.as_ref(), CHECKED))];
        for (id, key) in &self.keks {
            checks.push((format!("kek {id}"), hmac(key.as_ref(), CHECKED)));
        }
        checks
    }

    fn subject_binding(aggregate_type: &str, aggregate_id: &str) -> Vec<u8> {
        joined(&[
            b"samtale data key",
            aggregate_type.as_bytes(),
            aggregate_id.as_bytes(),
        ])
    }

    /// `key` wrapped for storage by the current key-encryption key, bound to its aggregate.
    pub fn wrap(&self, aggregate_type: &str, aggregate_id: &str, key: &DataKey) -> (u32, Vec<u8>) {
        let id = self.current_id();
        let binding = Self::subject_binding(aggregate_type, aggregate_id);
        let wrapped = self
            .keks
            .get(&id)
            .map(|kek| seal(kek, key.0.as_ref(), &binding))
            .unwrap_or_default();
        (id, wrapped)
    }

    pub fn unwrap(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        kek_id: u32,
        wrapped: &[u8],
    ) -> Result<DataKey, KeyError> {
        let binding = Self::subject_binding(aggregate_type, aggregate_id);
        let mut opened = self
            .keks
            .get(&kek_id)
            .and_then(|kek| open(kek, wrapped, &binding))
            .filter(|key| key.len() == KEY_BYTES)
            .ok_or_else(|| KeyError::Unwrap {
                aggregate: format!("{aggregate_type} {aggregate_id}"),
            })?;
        let mut key = Zeroizing::new([0u8; KEY_BYTES]);
        key.copy_from_slice(&opened);
        opened.zeroize();
        Ok(DataKey(key))
    }

    /// The keyed hash by which an identifier (`("email", "kari@example.no")`) is looked up.
    pub fn lookup_hash(&self, kind: &str, value: &str) -> Vec<u8> {
        hmac(
            self.lookup.as_ref(),
            &joined(&[kind.as_bytes(), value.as_bytes()]),
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_key_file_reads_back_as_the_keys_it_was_written_from() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("samtale.key");
        let keyring = Keyring::generate().rotated();
        keyring.write(&path).unwrap();
        let read = Keyring::read(&path).unwrap();
        assert_eq!(read.checks(), keyring.checks());
        assert_eq!(read.current_id(), 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "readable by its owner only");
        }
    }

    #[test]
    fn a_malformed_or_incomplete_key_file_is_refused_with_its_line() {
        assert_eq!(Keyring::parse("lookup 00\n").err(), Some(Some(1)));
        assert_eq!(Keyring::parse("# keys\nkek one aa\n").err(), Some(Some(2)));
        let lookup_only = format!("lookup {}\n", "ab".repeat(32));
        assert_eq!(Keyring::parse(&lookup_only).err(), Some(None));
    }

    #[test]
    fn a_data_key_unwraps_only_for_its_own_aggregate_and_with_the_key_that_wrapped_it() {
        let keyring = Keyring::generate();
        let key = DataKey::generate();
        let (kek, wrapped) = keyring.wrap("chat", "c-1", &key);
        let unwrapped = keyring.unwrap("chat", "c-1", kek, &wrapped).unwrap();
        let sealed = unwrapped.seal(b"Kari", b"field");
        assert_eq!(key.open(&sealed, b"field").unwrap(), b"Kari");
        assert!(keyring.unwrap("chat", "c-2", kek, &wrapped).is_err());
        assert!(Keyring::generate()
            .unwrap("chat", "c-1", kek, &wrapped)
            .is_err());
        assert!(key.open(&sealed, b"another field").is_none());
    }

    #[test]
    fn after_a_rotation_old_data_keys_still_unwrap_and_new_ones_use_the_new_key() {
        let old = Keyring::generate();
        let key = DataKey::generate();
        let (kek, wrapped) = old.wrap("chat", "c-1", &key);
        let rotated = old.rotated();
        assert!(rotated.unwrap("chat", "c-1", kek, &wrapped).is_ok());
        assert_eq!(rotated.wrap("chat", "c-1", &key).0, 2);
        assert!(rotated
            .without_old_keys()
            .unwrap("chat", "c-1", kek, &wrapped)
            .is_err());
    }
}
