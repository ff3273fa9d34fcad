//! `replicalab-bench PRESET SEED UNTIL_MS`: one benchmark run natively; prints
//! `{"preset":…,"events":…,"hash":…}`. The caller measures its CPU time.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [preset, seed, until] = args.as_slice() else {
        eprintln!("usage: replicalab-bench PRESET SEED UNTIL_MS");
        std::process::exit(2);
    };
    let Some(index) = replicalab_bench::index_of(preset) else {
        eprintln!("replicalab-bench: no preset named {preset:?}");
        std::process::exit(2);
    };
    let (Ok(seed), Ok(until)) = (seed.parse(), until.parse()) else {
        eprintln!("replicalab-bench: SEED and UNTIL_MS must be whole numbers");
        std::process::exit(2);
    };
    let run = replicalab_bench::run(index, seed, until).expect("the preset runs");
    println!("{{\"preset\":\"{preset}\",\"events\":{},\"hash\":\"{:016x}\"}}", run.events, run.hash);
}
