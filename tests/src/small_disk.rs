//! A small disk for tests that fill it: a `tmpfs` of a few MiB mounted on a directory (the data
//! dir of a [`Storage`]), with a filler file to take up all of its space and give it back.
//!
//! Mounting needs root (this project's machines and CI run the tests as root); a refused mount
//! panics with `mount`'s reason, so the test fails rather than skips. Dropping the [`SmallDisk`]
//! unmounts it, so drop every process using it first.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A mounted tmpfs.
pub struct SmallDisk {
    mount_point: PathBuf,
}

impl SmallDisk {
    /// Mounts a tmpfs of `bytes` on `dir` (which should be empty: the mount hides what it holds).
    pub fn mount(dir: &Path, bytes: u64) -> SmallDisk {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}")])
            .arg("tmpfs")
            .arg(dir)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "mounting a {bytes}-byte tmpfs on {} failed (the disk-full test needs root and tmpfs): {}{}",
            dir.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk { mount_point: dir.to_owned() }
    }

    fn filler(&self) -> PathBuf {
        self.mount_point.join("filler")
    }

    /// Fills the disk with a filler file, leaving about `leave` bytes free; returns the filler's
    /// size.
    pub fn fill(&self, leave: u64) -> u64 {
        let mut file = std::fs::File::create(self.filler()).expect("create the filler");
        let chunk = vec![0x5a_u8; 64 * 1024];
        let mut written = 0_u64;
        loop {
            match file.write(&chunk) {
                Ok(0) => break,
                Ok(n) => written += n as u64,
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
                Err(e) => panic!("writing the filler: {e}"),
            }
        }
        let size = written.saturating_sub(leave);
        file.set_len(size).expect("shrink the filler");
        file.sync_all().expect("sync the filler");
        size
    }

    /// Deletes the filler: its space is free again.
    pub fn free(&self) {
        std::fs::remove_file(self.filler()).expect("delete the filler");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let status = Command::new("umount").arg(&self.mount_point).status();
        if !status.is_ok_and(|s| s.success()) {
            // Still busy (a process outlived the test): detach it so it goes when they do.
            let _ = Command::new("umount").arg("-l").arg(&self.mount_point).status();
        }
    }
}
