//! The scheduler tick for the Spin cron trigger plugin (`[[trigger.cron]]`): the same work as
//! `POST /cron/tick` (see `orderpath_shell::plans::tick`), started by the plugin's schedule instead
//! of an HTTP request, so no token is involved. What it did goes to the log. It sends the
//! messages itself: the plugin's process has no service chaining to reach the `sender`.

spin_sdk::wit_bindgen::generate!({
    world: "spin-cron",
    path: "../../wit/cron",
    runtime_path: "spin_sdk::wit_bindgen::rt",
});

use orderpath_shell::clock::Timestamp;
use orderpath_shell::plans::tick;

struct CronTick;

impl Guest for CronTick {
    fn handle_cron_event(_metadata: Metadata) -> Result<(), Error> {
        match tick::run(Timestamp::now(), &tick::SendsItself) {
            Ok(summary) => {
                println!("tick: {summary}");
                Ok(())
            }
            Err(error) => Err(Error::Other(format!(
                "tick failed: {} {}",
                error.code, error.message
            ))),
        }
    }
}

export!(CronTick);
