import Foundation

/// Python's `datetime.strftime` in the C locale, for transformers' `strftime_now` global
/// (templates print today's date, e.g. `strftime_now("%d %B %Y")`). Local time, as
/// `datetime.now()`. Unknown directives are copied as written.
enum PythonStrftime {
    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                         "October", "November", "December"]
    static let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// `date` formatted by `format` in `timeZone`.
    static func format(_ format: String, _ date: Date, timeZone: TimeZone = .current) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let year = c.year ?? 1970, month = c.month ?? 1, day = c.day ?? 1
        let hour = c.hour ?? 0, minute = c.minute ?? 0, second = c.second ?? 0, weekday = (c.weekday ?? 1) - 1
        let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
        func pad(_ v: Int, _ n: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        var out = ""
        var it = format.makeIterator()
        while let ch = it.next() {
            guard ch == "%" else { out.append(ch); continue }
            guard let d = it.next() else { out.append("%"); break }
            switch d {
            case "d": out += pad(day)
            case "m": out += pad(month)
            case "Y": out += String(year)
            case "y": out += pad(year % 100)
            case "B": out += months[month - 1]
            case "b", "h": out += String(months[month - 1].prefix(3))
            case "A": out += days[weekday]
            case "a": out += String(days[weekday].prefix(3))
            case "H": out += pad(hour)
            case "I": out += pad(hour % 12 == 0 ? 12 : hour % 12)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "M": out += pad(minute)
            case "S": out += pad(second)
            case "j": out += pad(dayOfYear, 3)
            case "w": out += String(weekday)
            case "%": out += "%"
            default: out += "%" + String(d)
            }
        }
        return out
    }
}
