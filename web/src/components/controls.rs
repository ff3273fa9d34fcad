//! Playback controls: the scenario picker (human titles, the identifier as secondary text),
//! play / pause, single step, reset, the speed slider (logarithmic, read in human terms), the
//! key moment and the timeline scrubber.

use replicalab_core::story;
use yew::prelude::*;

use super::icons;
use replicalab_core::time::from_ms;

use crate::format::{format_pace, format_speed, format_time, MAX_SPEED_STEP, MIN_SPEED_STEP};
use crate::state::{Action, Playback};

#[derive(Properties, PartialEq)]
pub struct PickerProps {
    pub playback: Playback,
    /// The scenario's name (a preset's identifier, or a custom scenario's name).
    pub name: AttrValue,
    pub on_action: Callback<Action>,
}

/// The scenario picker: presets by their human title; the identifier shows beside it.
#[function_component]
pub fn ScenarioPicker(props: &PickerProps) -> Html {
    let pb = props.playback;
    let on_action = props.on_action.clone();
    // The select shows the scenario loaded, not the one asked for: a preset whose file is still
    // being fetched (or could not be) is not shown as loaded.
    let shown = pb.preset.map_or_else(|| "custom".to_string(), |i| i.to_string());
    let select_ref = use_node_ref();
    {
        let select_ref = select_ref.clone();
        let shown = shown.clone();
        use_effect_with(shown, move |shown| {
            if let Some(select) = select_ref.cast::<web_sys::HtmlSelectElement>() {
                select.set_value(shown);
            }
        });
    }
    let on_preset = Callback::from(move |e: Event| {
        let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
        let chosen = select.value();
        select.set_value(&shown);
        if let Ok(i) = chosen.parse::<usize>() {
            crate::catalogue::select(i, &on_action, Vec::new());
        }
    });
    html! {
        <div class="preset-row">
            <label for="preset">{"Scenario"}</label>
            <select id="preset" data-testid="preset" ref={select_ref} onchange={on_preset}>
                if pb.preset.is_none() {
                    <option value="custom" selected=true>{format!("Custom: {}", story::title(&props.name))}</option>
                }
                { for crate::catalogue::names().iter().enumerate().map(|(i, &name)| html! {
                    <option value={i.to_string()} selected={Some(i) == pb.preset}>{format!("{} ({name})", story::title(name))}</option>
                }) }
            </select>
            <code class="scenario-id" data-testid="scenario-id" title="The scenario's identifier (replicalab run --preset NAME)">{props.name.clone()}</code>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub playback: Playback,
    pub on_action: Callback<Action>,
}

#[function_component]
pub fn Controls(props: &ControlsProps) -> Html {
    let pb = props.playback;
    let act = |a: Action| {
        let cb = props.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(a.clone()))
    };
    let on_speed = {
        let cb = props.on_action.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Ok(step) = input.value().parse::<i32>() {
                cb.emit(Action::SetSpeed(step));
            }
        })
    };
    let speed_text = format_speed(pb.speed_step);
    let pace = format_pace(pb.speed_step);
    let on_scrub = {
        let cb = props.on_action.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let ms = input.value_as_number();
            if ms.is_finite() {
                cb.emit(Action::Seek(from_ms(ms)));
            }
        })
    };
    let head_ms = pb.head as f64 / 1000.0;
    let now_ms = pb.now as f64 / 1000.0;
    let (play_label, play_icon) = if pb.playing { ("Pause", icons::pause()) } else { ("Play", icons::play()) };
    html! {
        <section class="controls" aria-label="Playback">
            <div class="button-row">
                <button type="button" class="primary" data-testid="play" aria-pressed={pb.playing.to_string()}
                    title="Play or pause (Space)" onclick={act(Action::TogglePlay)}>
                    {play_icon}{play_label}
                </button>
                <button type="button" data-testid="step" title="Process one event (.)" onclick={act(Action::Step)}>
                    {icons::step()}{"Step"}
                </button>
                <button type="button" data-testid="reset" title="Start the scenario again (R)" onclick={act(Action::Reset)}>
                    {icons::reset()}{"Reset"}
                </button>
            </div>
            <div class="speed">
                <label for="speed">{"Speed"}</label>
                <input id="speed" type="range" data-testid="speed"
                    min={MIN_SPEED_STEP.to_string()} max={MAX_SPEED_STEP.to_string()} step="1"
                    value={pb.speed_step.to_string()} aria-valuetext={pace.clone()}
                    title={format!("{speed_text} ({pace})")}
                    oninput={on_speed} />
                <output for="speed" data-testid="speed-value" data-speed={speed_text}>{pace}</output>
            </div>
            if let Some(key) = pb.key_moment {
                <button type="button" class="link-button key-moment" data-testid="key-moment" data-us={key.to_string()}
                    title="Go to the moment this scenario is about" onclick={act(Action::RunTo(key))}>
                    {format!("Jump to the key moment ({})", format_time(key))}
                </button>
            }
            <div class="scrub-row">
                <label for="scrub">{"Timeline"}</label>
                <input id="scrub" type="range" data-testid="scrub" min="0" max={format!("{head_ms}")} step="1"
                    value={format!("{now_ms}")} disabled={pb.head == 0} list="key-moments"
                    aria-valuetext={format!("{} of {}", format_time(pb.now), format_time(pb.head))}
                    title="Drag to go back and forth in time (← → step 10 ms, Shift for 100 ms, Home / End)" oninput={on_scrub} />
                // The key moment, marked on the timeline once it is reached.
                <datalist id="key-moments">
                    if let Some(key) = pb.key_moment.filter(|&k| k <= pb.head) {
                        <option value={format!("{}", key as f64 / 1000.0)} label="key moment" />
                    }
                </datalist>
                <output for="scrub" data-testid="playhead">{format!("{} / {}", format_time(pb.now), format_time(pb.head))}</output>
            </div>
            if pb.at_end {
                <p class="end-note" role="status">{"The scenario’s duration is reached. Play to keep going, or Reset."}</p>
            }
            if pb.hidden && pb.playing {
                <p class="end-note" role="status">{"Paused while the page is hidden."}</p>
            }
        </section>
    }
}
