//! The lesson sidebar: the open lesson's title and introduction, the current step's text, its
//! suggested commands as buttons (run through the console, echoed there), its UI actions as
//! buttons that work the controls (each runs its console line, echoed like any control's;
//! disabled with the reason when there is nothing to act on) and its checks, ticking as they
//! pass. A picker opens any built-in lesson.
//!
//! Lesson text is markdown; it is shown as plain-text paragraphs (never as HTML), so a lesson
//! file cannot inject markup into the page.

use crate::playground::{Action, LessonState};
use kubeplay_core::lesson::builtin;
use std::rc::Rc;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// Splits markdown source into paragraphs (blank-line separated), each as one line of plain
/// text.
pub fn paragraphs(markdown: &str) -> Vec<String> {
    markdown
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

fn text_block(markdown: &str) -> Html {
    paragraphs(markdown)
        .into_iter()
        .map(|p| html! { <p>{ p }</p> })
        .collect::<Html>()
}

/// Props of [`LessonPanel`].
#[derive(Properties, PartialEq)]
pub struct LessonPanelProps {
    /// The open lesson (None: only the picker).
    pub lesson: Option<Rc<LessonState>>,
    /// Dispatches the panel's actions.
    pub dispatch: Callback<Action>,
}

/// See the module docs.
#[function_component(LessonPanel)]
pub fn lesson_panel(props: &LessonPanelProps) -> Html {
    let picker = {
        let dispatch = props.dispatch.clone();
        let onchange = Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<HtmlSelectElement>() {
                let name = select.value();
                dispatch.emit(if name.is_empty() {
                    Action::CloseLesson
                } else {
                    Action::OpenLesson(name)
                });
            }
        });
        let current = props.lesson.as_ref().map(|l| l.name.clone());
        html! {
            <label class="lesson-picker">{ "Lesson " }
                <select {onchange} data-testid="lesson-picker">
                    <option value="" selected={current.is_none()}>{ "(none: free play)" }</option>
                    { for builtin::names().into_iter().map(|n| html! {
                        <option value={n} selected={current.as_deref() == Some(n)}>{ n }</option>
                    }) }
                </select>
            </label>
        }
    };
    let Some(l) = &props.lesson else {
        return html! { <section class="lesson" data-testid="lesson">{ picker }</section> };
    };
    let finished = l.step >= l.steps;
    let d = props.dispatch.clone();
    let prev = Callback::from(move |_: MouseEvent| d.emit(Action::LessonPrevious));
    let d = props.dispatch.clone();
    let next = Callback::from(move |_: MouseEvent| d.emit(Action::LessonNext));
    let all_pass = !l.checks.is_empty() && l.checks.iter().all(|c| c.passed);
    html! {
        <section class="lesson" data-testid="lesson" aria-label="Lesson">
            { picker }
            <h2 data-testid="lesson-title">{ &l.title }</h2>
            if l.step == 0 {
                <div class="lesson-intro">{ text_block(&l.intro) }</div>
            }
            if finished {
                <p data-testid="lesson-done">{ "Lesson complete." }</p>
            } else {
                <h3 data-testid="lesson-step">{ format!("Step {}/{}: {}", l.step + 1, l.steps, l.step_title) }</h3>
                <div class="lesson-text">{ text_block(&l.text) }</div>
                if !l.suggested.is_empty() {
                    <div class="lesson-commands">
                        { for l.suggested.iter().enumerate().map(|(i, c)| {
                            let d = props.dispatch.clone();
                            let onclick = Callback::from(move |_: MouseEvent| d.emit(Action::LessonCommand(i)));
                            match c {
                                Ok(line) => html! {
                                    <button class="lesson-command" {onclick} title="Run in the console"><code>{ line }</code></button>
                                },
                                Err(why) => html! {
                                    <button class="lesson-command" {onclick} title={why.clone()}><code>{ why }</code></button>
                                },
                            }
                        }) }
                    </div>
                }
                if !l.actions.is_empty() {
                    <div class="lesson-actions" data-testid="lesson-actions" role="group" aria-label="Try it with the controls">
                        { for l.actions.iter().enumerate().map(|(i, (id, line))| {
                            let d = props.dispatch.clone();
                            let onclick = Callback::from(move |_: MouseEvent| d.emit(Action::LessonAction(i)));
                            match line {
                                Ok(line) => html! {
                                    <button class="lesson-action" data-action={id.clone()} {onclick}
                                            title={format!("Runs: {line}")}>{ action_label(id) }</button>
                                },
                                Err(why) => html! {
                                    <button class="lesson-action" data-action={id.clone()} disabled=true
                                            title={why.clone()} aria-label={format!("{}: {why}", action_label(id))}>
                                        { action_label(id) }
                                    </button>
                                },
                            }
                        }) }
                    </div>
                }
                <ul class="lesson-checks" data-testid="lesson-checks">
                    { for l.checks.iter().map(|c| html! {
                        <li class={classes!(if c.passed { "pass" } else { "fail" })} title={c.detail.clone()}>
                            <span aria-hidden="true">{ if c.passed { "✓ " } else { "✗ " } }</span>
                            <span class="sr-only">{ if c.passed { "passed: " } else { "not yet: " } }</span>
                            { &c.description }
                        </li>
                    }) }
                </ul>
                if all_pass {
                    <p class="lesson-passed">{ "All checks pass." }</p>
                }
            }
            <div class="lesson-nav">
                <button onclick={prev} disabled={l.step == 0} data-testid="lesson-prev">{ "Previous step" }</button>
                <button onclick={next} disabled={finished} data-testid="lesson-next">{ "Next step" }</button>
            </div>
        </section>
    }
}

/// A step action's button text (the id itself for ids Kubeplay does not know).
pub fn action_label(id: &str) -> String {
    match id {
        "scale" | "scale-up" => "Scale up (+1 replica)".into(),
        "scale-down" => "Scale down (−1 replica)".into(),
        "kill-pod" => "Kill a pod".into(),
        "set-image" => "Roll out a new image".into(),
        "undo" | "rollout-undo" => "Undo the rollout".into(),
        "relabel" => "Relabel a pod out of the Service".into(),
        "add-node" => "Add a node".into(),
        other => other.to_string(),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_plain_paragraphs() {
        assert_eq!(
            paragraphs("A *Service*\nhas a stable IP.\n\n\n<b>Pods</b> do not.\n"),
            vec!["A *Service* has a stable IP.", "<b>Pods</b> do not."]
        );
        assert!(paragraphs("\n\n").is_empty());
    }
}
