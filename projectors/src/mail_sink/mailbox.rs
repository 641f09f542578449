//! Where the sink keeps messages: one file per message, `<n>.eml`, numbered from 1 in arrival
//! order, in one directory.
//!
//! Each file is the message as received with the envelope in front (`Return-Path:` and one
//! `X-Envelope-To:` per recipient), so a reader sees who it was for even when `To:` says
//! otherwise (Bcc). Files are written under a temporary name and renamed, so a reader never
//! sees half a message. Numbering resumes after the highest file present, so a restarted sink
//! never overwrites; one sink per directory.

use std::{
    io,
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

use super::session::Received;

/// Name of the file holding the address the sink listens on (written at start).
pub const ADDR_FILE: &str = "sink.addr";

/// The message directory.
#[derive(Debug)]
pub struct Mailbox {
    dir: PathBuf,
    next: AtomicU64,
}

impl Mailbox {
    /// Opens (creating it if needed) the directory `dir`.
    pub async fn open(dir: &Path) -> io::Result<Self> {
        tokio::fs::create_dir_all(dir).await?;
        let mut highest = 0;
        let mut entries = tokio::fs::read_dir(dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            if let Some(n) = message_number(&entry.file_name().to_string_lossy()) {
                highest = highest.max(n);
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            next: AtomicU64::new(highest + 1),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores `message`; returns its file.
    pub async fn store(&self, message: &Received) -> io::Result<PathBuf> {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let path = self.dir.join(format!("{n}.eml"));
        let temporary = self.dir.join(format!(".{n}.eml.tmp"));
        tokio::fs::write(&temporary, file_contents(message)).await?;
        tokio::fs::rename(&temporary, &path).await?;
        Ok(path)
    }
}

/// `n` of a file named `<n>.eml`.
pub fn message_number(file_name: &str) -> Option<u64> {
    file_name.strip_suffix(".eml")?.parse().ok()
}

/// The envelope lines, then the message.
pub fn file_contents(message: &Received) -> Vec<u8> {
    let mut contents = format!("Return-Path: <{}>\r\n", message.from).into_bytes();
    for to in &message.to {
        contents.extend_from_slice(format!("X-Envelope-To: <{to}>\r\n").as_bytes());
    }
    contents.extend_from_slice(&message.data);
    contents
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_numbered_eml_files_count_as_messages() {
        assert_eq!(message_number("12.eml"), Some(12));
        assert_eq!(message_number(".12.eml.tmp"), None);
        assert_eq!(message_number("sink.addr"), None);
        assert_eq!(message_number("x.eml"), None);
    }

    #[test]
    fn the_file_starts_with_the_envelope() {
        let contents = file_contents(&Received {
            from: "a@b.c".into(),
            to: vec!["d@e.f".into(), "g@h.i".into()],
            data: b"Subject: x\r\n\r\nhi\r\n".to_vec(),
        });
        assert_eq!(
            contents,
            b"Return-Path: <a@b.c>\r\nX-Envelope-To: <d@e.f>\r\nX-Envelope-To: <g@h.i>\r\n\
              Subject: x\r\n\r\nhi\r\n"
                .to_vec()
        );
    }
}
