import Foundation

/// An expression of a template, with the scalar offset it starts at (for error messages).
struct TemplateExpression {
    indirect enum Kind {
        case literal(TemplateValue)
        case name(String)
        case list([TemplateExpression])
        /// `(a, b)`, `(a,)`, `()` or a bare `a, b`.
        case tuple([TemplateExpression])
        case dict([(TemplateExpression, TemplateExpression)])
        /// `a.b`: jinja2's `getattr` (attribute first, then item).
        case attribute(TemplateExpression, String)
        /// `a[b]`: jinja2's `getitem` (item first, then attribute).
        case item(TemplateExpression, TemplateExpression)
        /// `a[start:stop:step]`.
        case slice(TemplateExpression, TemplateExpression?, TemplateExpression?, TemplateExpression?)
        case call(TemplateExpression, TemplateArguments)
        /// `a | name(args)`.
        case filter(TemplateExpression, String, TemplateArguments)
        /// `a is [not] name(args)`.
        case test(TemplateExpression, String, TemplateArguments, negated: Bool)
        case not(TemplateExpression)
        case negate(TemplateExpression)
        case plus(TemplateExpression)
        /// `+ - * / // % ** ~`.
        case binary(String, TemplateExpression, TemplateExpression)
        case and(TemplateExpression, TemplateExpression)
        case or(TemplateExpression, TemplateExpression)
        /// `a op1 b op2 c …` with `== != < <= > >= in` and `not in`, chained as in Python.
        case compare(TemplateExpression, [(String, TemplateExpression)])
        /// `then if condition else otherwise` (`otherwise` nil: undefined).
        case conditional(condition: TemplateExpression, then: TemplateExpression, otherwise: TemplateExpression?)
    }

    let kind: Kind
    let offset: Int
}

/// The arguments of a call, filter or test: positional, then `name=value`.
struct TemplateArguments {
    var positional: [TemplateExpression] = []
    var keywords: [(String, TemplateExpression)] = []
}

/// Where `{% for %}` or `{% set %}` stores values: a name, `ns.attr`, or a tuple of names.
enum TemplateTarget {
    case name(String)
    case attribute(namespace: String, attribute: String)
    case tuple([String])
}

/// A statement of a template.
indirect enum TemplateNode {
    /// Literal text.
    case text(String)
    /// `{{ expression }}`.
    case output(TemplateExpression)
    /// `{% if %}…{% elif %}…{% else %}…{% endif %}`: the branches in order, then the else body.
    case conditional([(TemplateExpression, [TemplateNode])], otherwise: [TemplateNode])
    /// `{% for target in iterable if filter [recursive] %}body{% else %}empty{% endfor %}`.
    case loop(target: TemplateTarget, iterable: TemplateExpression, filter: TemplateExpression?, body: [TemplateNode],
              otherwise: [TemplateNode], recursive: Bool, offset: Int)
    /// `{% set target = value %}`.
    case assign(TemplateTarget, TemplateExpression, offset: Int)
    /// `{% set name %}body{% endset %}`.
    case assignBlock(String, [TemplateNode])
    /// `{% macro name(params) %}body{% endmacro %}`.
    case macro(name: String, parameters: [(name: String, defaultValue: TemplateExpression?)], body: [TemplateNode])
    /// `{% filter f(args) | g %}body{% endfilter %}`: the rendered body passed through the filters.
    case filterBlock([(name: String, arguments: TemplateArguments, offset: Int)], [TemplateNode])
    /// `{% generation %}body{% endgeneration %}` (transformers' assistant-mask tag: renders its body).
    case generation([TemplateNode])
    case breakLoop(offset: Int)
    case continueLoop(offset: Int)
}
