//! Raw key-generation rate of [`KeyGenPlugin`], the ceiling the orders benchmark compares order
//! throughput against.
//!
//! ```text
//! cargo run --release -p portcullis-plugins --example keygen_rate -- [RSA_KEYS] [AES_KEYS]
//! ```
//! Defaults: 20 RSA-2048 key pairs, 1,000,000 AES-256 keys. Single-threaded.

use std::process::ExitCode;
use std::time::Instant;

use portcullis_plugins::{KeyGenPlugin, KeyGenerator};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (rsa_keys, aes_keys) = match (count(args.next(), 20), count(args.next(), 1_000_000)) {
        (Ok(rsa), Ok(aes)) => (rsa, aes),
        (Err(bad), _) | (_, Err(bad)) => {
            eprintln!("usage: keygen_rate [RSA_KEYS] [AES_KEYS]  (positive integers; got {bad:?})");
            return ExitCode::FAILURE;
        }
    };
    let plugin = KeyGenPlugin::new();

    let rsa = rate(rsa_keys, || plugin.generate_asymmetric("rsa", 2048, None).map(drop));
    let aes = rate(aes_keys, || plugin.generate_symmetric("aes", 256, None).map(drop));
    match (rsa, aes) {
        (Ok(rsa), Ok(aes)) => {
            println!("rsa-2048: {rsa_keys} keys in {:.2} s = {:.1} keys/s", rsa.0, rsa.1);
            println!("aes-256:  {aes_keys} keys in {:.2} s = {:.0} keys/s", aes.0, aes.1);
            ExitCode::SUCCESS
        }
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("key generation failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn count(arg: Option<String>, default: u64) -> Result<u64, String> {
    match arg {
        None => Ok(default),
        Some(s) => s.parse().ok().filter(|&n| n > 0).ok_or(s),
    }
}

/// Seconds taken and keys per second for `n` calls of `generate`.
fn rate<E>(n: u64, mut generate: impl FnMut() -> Result<(), E>) -> Result<(f64, f64), E> {
    let start = Instant::now();
    for _ in 0..n {
        generate()?;
    }
    let secs = start.elapsed().as_secs_f64();
    Ok((secs, n as f64 / secs))
}
