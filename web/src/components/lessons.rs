//! The guided lessons: pick a lesson, read a step, watch its scripted run, then try something.
//!
//! Each step loads its scenario (a preset plus the step's scripted commands) and plays it to the
//! step's end (`until_ms`); the "now you try" prompt invites the reader to act freely. Back and
//! next move between steps; every step has a deep link, `#lesson=ID&step=N`.

use std::rc::Rc;

use replicalab_core::lessons::Lessons;
use yew::prelude::*;

use super::share::LessonAt;
use crate::share::lesson_fragment;

#[derive(Properties, PartialEq)]
pub struct LessonsProps {
    pub lessons: Rc<Lessons>,
    pub at: LessonAt,
    pub on_pick: Callback<LessonAt>,
    /// Whether the simulation is playing, and how to play or pause it from the lesson (on a
    /// phone the lesson is a sheet over the lower part of the screen, where Play is).
    pub playing: bool,
    pub on_toggle_play: Callback<()>,
}

#[function_component]
pub fn LessonsPanel(props: &LessonsProps) -> Html {
    let all = &props.lessons;
    let on_pick = props.on_pick.clone();
    let on_select = {
        let on_pick = on_pick.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            match select.value().parse::<usize>() {
                Ok(i) => on_pick.emit(Some((i, 0))),
                Err(_) => on_pick.emit(None),
            }
        })
    };
    let go = |at: LessonAt| {
        let on_pick = on_pick.clone();
        Callback::from(move |_: MouseEvent| on_pick.emit(at))
    };
    let current = props
        .at
        .and_then(|(l, s)| all.lessons.get(l).and_then(|lesson| lesson.steps.get(s).map(|st| (l, s, lesson, st))));
    html! {
        <details class="lessons card" id="lessons" data-testid="lessons" open={current.is_some()}>
            <summary>{"Guided lessons"}</summary>
            <div class="lesson-pick">
                <label for="lesson">{"Lesson"}</label>
                <select id="lesson" data-testid="lesson-select" onchange={on_select}>
                    <option value="" selected={current.is_none()}>{"Choose a lesson…"}</option>
                    { for all.lessons.iter().enumerate().map(|(i, l)| html! {
                        <option value={i.to_string()} selected={current.is_some_and(|c| c.0 == i)}>
                            {format!("{}. {}", i + 1, l.title)}
                        </option>
                    }) }
                </select>
            </div>
            if let Some((l, s, lesson, step)) = current {
                <article class="lesson-step" data-testid="lesson-step" data-lesson={lesson.id.clone()} data-step={(s + 1).to_string()}>
                    <div class="lesson-head">
                        <p class="lesson-chapter">{format!("{} · step {} of {}", lesson.chapter, s + 1, lesson.steps.len())}</p>
                        <button type="button" data-testid="lesson-play" aria-pressed={props.playing.to_string()}
                            onclick={props.on_toggle_play.reform(|_: MouseEvent| ())}>{if props.playing { "⏸ Pause" } else { "▶ Play" }}</button>
                    </div>
                    <h3 data-testid="lesson-title">{&step.title}</h3>
                    <p data-testid="lesson-text">{&step.text}</p>
                    if let Some(t) = &step.try_it {
                        <p class="lesson-try" data-testid="lesson-try"><strong>{"Now you try: "}</strong>{t}</p>
                    }
                    <div class="button-row">
                        <button type="button" data-testid="lesson-back" disabled={s == 0} onclick={go(Some((l, s.saturating_sub(1))))}>{"← Back"}</button>
                        <button type="button" data-testid="lesson-replay" onclick={go(Some((l, s)))}
                            title="Load the step's scenario again and replay its scripted actions">{"Replay step"}</button>
                        <button type="button" class="primary" data-testid="lesson-next" disabled={s + 1 >= lesson.steps.len()}
                            onclick={go(Some((l, s + 1)))}>{"Next →"}</button>
                        <a class="deep-link" data-testid="lesson-link" href={format!("#{}", lesson_fragment(&lesson.id, s))}
                            title="A link to this step">{"Link to this step"}</a>
                        <button type="button" class="link-button" data-testid="lesson-close" onclick={go(None)}>{"Close the lesson"}</button>
                    </div>
                </article>
            }
        </details>
    }
}
