package v1alpha1

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// scheduleError is one error ValidateSchedules must report: its field path
// exactly, its type, and a part of the detail that says what is allowed.
type scheduleError struct {
	field  string
	typ    field.ErrorType
	detail string
}

// sched is a valid schedule changed by mutate.
func sched(mutate func(*Schedule)) Schedule {
	s := Schedule{Name: "nightly", Schedule: "0 3 * * *"}
	if mutate != nil {
		mutate(&s)
	}
	return s
}

func withSchedule(expr string) func(*Schedule) {
	return func(s *Schedule) { s.Schedule = expr }
}

func withTimezone(tz string) func(*Schedule) {
	return func(s *Schedule) { s.Timezone = tz }
}

func TestValidateSchedules(t *testing.T) {
	const (
		s0       = "spec.schedules[0]"
		schedule = s0 + ".schedule"
		timezone = s0 + ".timezone"
		data     = s0 + ".data"
		fields   = `want 5 fields (minute hour day-of-month month day-of-week, such as "0 3 * * *"), 6 with seconds first`
		tzHelp   = "an IANA time zone name such as Europe/Berlin"
	)
	invalid := func(f, detail string) scheduleError { return scheduleError{f, field.ErrorTypeInvalid, detail} }

	tests := []struct {
		name      string
		schedules []Schedule
		want      []scheduleError
	}{
		// Valid schedules.
		{name: "none"},
		{name: "five fields", schedules: []Schedule{sched(nil)}},
		{name: "six fields, seconds first", schedules: []Schedule{sched(withSchedule("30 0 3 * * *"))}},
		{name: "steps, ranges and lists", schedules: []Schedule{sched(withSchedule("*/15 8-18 1,15 */2 1-5"))}},
		{name: "value/step runs to the maximum", schedules: []Schedule{sched(withSchedule("5/20 * * * *"))}},
		{name: "range with step", schedules: []Schedule{sched(withSchedule("0-30/10 * * * *"))}},
		{name: "question mark", schedules: []Schedule{sched(withSchedule("0 3 ? * *"))}},
		{name: "month and weekday names in any case", schedules: []Schedule{sched(withSchedule("0 3 * JAN-jun Mon-FRI"))}},
		{name: "whitespace between fields", schedules: []Schedule{sched(withSchedule("0\t3  * * *"))}},
		{name: "descriptors", schedules: []Schedule{
			sched(func(s *Schedule) { s.Name, s.Schedule = "a", "@yearly" }),
			sched(func(s *Schedule) { s.Name, s.Schedule = "b", "@annually" }),
			sched(func(s *Schedule) { s.Name, s.Schedule = "c", "@monthly" }),
			sched(func(s *Schedule) { s.Name, s.Schedule = "d", "@weekly" }),
			sched(func(s *Schedule) { s.Name, s.Schedule = "e", "@daily" }),
			sched(func(s *Schedule) { s.Name, s.Schedule = "f", "@midnight" }),
			sched(func(s *Schedule) { s.Name, s.Schedule = "g", "@hourly" }),
		}},
		// Knative trims the schedule after the CRON_TZ prefix it adds.
		{name: "descriptor with spaces and a timezone", schedules: []Schedule{sched(func(s *Schedule) { s.Schedule, s.Timezone = " @daily ", "UTC" })}},
		{name: "timezone", schedules: []Schedule{sched(withTimezone("Europe/Berlin"))}},
		{name: "timezone UTC", schedules: []Schedule{sched(withTimezone("UTC"))}},
		{name: "timezone Etc/GMT+5", schedules: []Schedule{sched(withTimezone("Etc/GMT+5"))}},
		{name: "contentType with parameters", schedules: []Schedule{sched(func(s *Schedule) {
			s.ContentType, s.Data = "text/plain; charset=utf-8", "cleanup"
		})}},
		{name: "JSON object data with the default contentType", schedules: []Schedule{sched(func(s *Schedule) { s.Data = `{"task": "cleanup"}` })}},
		{name: "JSON array with application/json and a parameter", schedules: []Schedule{sched(func(s *Schedule) {
			s.ContentType, s.Data = "application/json; charset=utf-8", `[1, 2]`
		})}},
		{name: "data of 64 KiB", schedules: []Schedule{sched(func(s *Schedule) {
			s.ContentType, s.Data = "text/plain", strings.Repeat("x", 64<<10)
		})}},
		{name: "name of 40 characters", schedules: []Schedule{sched(func(s *Schedule) { s.Name = strings.Repeat("a", 40) })}},

		// Schedules Knative refuses.
		{name: "empty schedule", schedules: []Schedule{sched(withSchedule(" "))},
			want: []scheduleError{{schedule, field.ErrorTypeRequired, `a cron schedule such as "0 3 * * *"`}}},
		{name: "four fields", schedules: []Schedule{sched(withSchedule("0 3 * *"))},
			want: []scheduleError{invalid(schedule, "expected 5 to 6 fields, found 4: [0 3 * *]; "+fields)}},
		{name: "seven fields", schedules: []Schedule{sched(withSchedule("0 0 3 * * * 2030"))},
			want: []scheduleError{invalid(schedule, "expected 5 to 6 fields, found 7")}},
		{name: "minute out of range", schedules: []Schedule{sched(withSchedule("60 3 * * *"))},
			want: []scheduleError{invalid(schedule, "end of range (60) above maximum (59): 60; want 5 fields")}},
		{name: "hour out of range", schedules: []Schedule{sched(withSchedule("0 24 * * *"))},
			want: []scheduleError{invalid(schedule, "end of range (24) above maximum (23): 24")}},
		{name: "day of month 0", schedules: []Schedule{sched(withSchedule("0 3 0 * *"))},
			want: []scheduleError{invalid(schedule, "beginning of range (0) below minimum (1): 0")}},
		{name: "weekday 7 (Sunday is 0)", schedules: []Schedule{sched(withSchedule("0 3 * * 7"))},
			want: []scheduleError{invalid(schedule, "end of range (7) above maximum (6): 7")}},
		{name: "seconds out of range", schedules: []Schedule{sched(withSchedule("60 0 3 * * *"))},
			want: []scheduleError{invalid(schedule, "end of range (60) above maximum (59): 60")}},
		{name: "unknown month name", schedules: []Schedule{sched(withSchedule("0 3 * january *"))},
			want: []scheduleError{invalid(schedule, "failed to parse int from january")}},
		{name: "range backwards", schedules: []Schedule{sched(withSchedule("0 18-8 * * *"))},
			want: []scheduleError{invalid(schedule, "beginning of range (18) beyond end of range (8): 18-8")}},
		{name: "step 0", schedules: []Schedule{sched(withSchedule("*/0 * * * *"))},
			want: []scheduleError{invalid(schedule, "step of range should be a positive number: */0")}},
		{name: "two slashes", schedules: []Schedule{sched(withSchedule("1/2/3 * * * *"))},
			want: []scheduleError{invalid(schedule, "too many slashes: 1/2/3")}},
		{name: "two hyphens", schedules: []Schedule{sched(withSchedule("1-2-3 * * * *"))},
			want: []scheduleError{invalid(schedule, "too many hyphens: 1-2-3")}},
		{name: "an item of a list", schedules: []Schedule{sched(withSchedule("0 3 1,15,32 * *"))},
			want: []scheduleError{invalid(schedule, "end of range (32) above maximum (31): 32")}},
		{name: "step not a number", schedules: []Schedule{sched(withSchedule("*/x * * * *"))},
			want: []scheduleError{invalid(schedule, "failed to parse int from x")}},
		{name: "L is not supported", schedules: []Schedule{sched(withSchedule("0 3 L * *"))},
			want: []scheduleError{invalid(schedule, "failed to parse int from L")}},
		{name: "@every", schedules: []Schedule{sched(withSchedule("@every 1h"))},
			want: []scheduleError{invalid(schedule, "@every is not supported by Knative's PingSource")}},
		{name: "unknown descriptor", schedules: []Schedule{sched(withSchedule("@reboot"))},
			want: []scheduleError{invalid(schedule, "unrecognized descriptor: @reboot; want 5 fields")}},
		// Without a timezone Knative parses the schedule as written.
		{name: "descriptor with a trailing space and no timezone", schedules: []Schedule{sched(withSchedule("@daily "))},
			want: []scheduleError{invalid(schedule, "unrecognized descriptor: @daily ")}},

		// Timezones.
		{name: "CRON_TZ prefix", schedules: []Schedule{sched(withSchedule("CRON_TZ=Europe/Berlin 0 3 * * *"))},
			want: []scheduleError{invalid(schedule, `a CRON_TZ= or TZ= prefix is not allowed: put the cron expression here and the zone in timezone`)}},
		{name: "TZ prefix with a timezone", schedules: []Schedule{sched(func(s *Schedule) { s.Schedule, s.Timezone = "TZ=UTC 0 3 * * *", "UTC" })},
			want: []scheduleError{invalid(schedule, "a CRON_TZ= or TZ= prefix is not allowed")}},
		{name: "unknown timezone", schedules: []Schedule{sched(withTimezone("Mars/Olympus_Mons"))},
			want: []scheduleError{invalid(timezone, "unknown time zone; use "+tzHelp)}},
		{name: "timezone in the wrong case", schedules: []Schedule{sched(withTimezone("europe/berlin"))},
			want: []scheduleError{invalid(timezone, "unknown time zone")}},
		{name: "Local", schedules: []Schedule{sched(withTimezone("Local"))},
			want: []scheduleError{invalid(timezone, `"Local" is the zone of whichever machine sends the events; use `+tzHelp)}},
		{name: "timezone with a space", schedules: []Schedule{sched(withTimezone("UTC 0"))},
			want: []scheduleError{invalid(timezone, "must not contain spaces")}},
		{name: "timezone as a path", schedules: []Schedule{sched(withTimezone("../../etc/passwd"))},
			want: []scheduleError{invalid(timezone, "unknown time zone")}},
		{name: "bad timezone and bad schedule are both reported", schedules: []Schedule{sched(func(s *Schedule) { s.Schedule, s.Timezone = "0 3 * *", "Nowhere" })},
			want: []scheduleError{invalid(schedule, "found 4"), invalid(timezone, "unknown time zone")}},

		// Content type and data.
		{name: "contentType without a subtype", schedules: []Schedule{sched(func(s *Schedule) { s.ContentType = "json" })},
			want: []scheduleError{invalid(s0+".contentType", "must be a media type, type/subtype with optional parameters, such as application/json")}},
		{name: "contentType with an empty subtype", schedules: []Schedule{sched(func(s *Schedule) { s.ContentType = "text/" })},
			want: []scheduleError{invalid(s0+".contentType", "must be a media type")}},
		{name: "contentType with a broken parameter", schedules: []Schedule{sched(func(s *Schedule) { s.ContentType = "text/plain; charset" })},
			want: []scheduleError{invalid(s0+".contentType", "must be a media type")}},
		{name: "data over 64 KiB", schedules: []Schedule{sched(func(s *Schedule) {
			s.ContentType, s.Data = "text/plain", strings.Repeat("x", 64<<10+1)
		})},
			want: []scheduleError{{data, field.ErrorTypeTooLong, "may not be more than 65536 bytes"}}},
		{name: "data not JSON with the default contentType", schedules: []Schedule{sched(func(s *Schedule) { s.Data = "cleanup" })},
			want: []scheduleError{invalid(data, "with contentType application/json (the default) data must be a JSON object")}},
		{name: "JSON array with application/json", schedules: []Schedule{sched(func(s *Schedule) {
			s.ContentType, s.Data = "application/json", `[1, 2]`
		})},
			want: []scheduleError{invalid(data, "must be a JSON object")}},

		// Names.
		{name: "duplicate names", schedules: []Schedule{sched(nil), sched(withSchedule("@hourly"))},
			want: []scheduleError{{"spec.schedules[1].name", field.ErrorTypeDuplicate, "unique within the App"}}},
		{name: "missing name", schedules: []Schedule{sched(func(s *Schedule) { s.Name = "" })},
			want: []scheduleError{{s0 + ".name", field.ErrorTypeRequired, "a DNS-1123 label"}}},
		{name: "name not a DNS label", schedules: []Schedule{sched(func(s *Schedule) { s.Name = "Nightly_Run" })},
			want: []scheduleError{invalid(s0+".name", "must be a DNS-1123 label")}},
		{name: "name of 41 characters", schedules: []Schedule{sched(func(s *Schedule) { s.Name = strings.Repeat("a", 41) })},
			want: []scheduleError{invalid(s0+".name", "of at most 40 characters")}},
		{name: "errors name the schedule's index", schedules: []Schedule{sched(nil), sched(func(s *Schedule) { s.Name, s.Timezone = "other", "Local" })},
			want: []scheduleError{invalid("spec.schedules[1].timezone", "Local")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := ValidateSchedules(tc.schedules, field.NewPath("spec", "schedules"))
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(tc.want), errs)
			}
			for i, w := range tc.want {
				e := errs[i]
				if e.Field != w.field || e.Type != w.typ || !strings.Contains(e.Detail, w.detail) {
					t.Errorf("error %d = %s %s %q\nwant %s %s containing %q", i, e.Field, e.Type, e.Detail, w.field, w.typ, w.detail)
				}
			}
		})
	}
}

// The error for data that is not JSON must not repeat the data, which may
// be 64 KiB long.
func TestValidateSchedulesOmitsData(t *testing.T) {
	data := strings.Repeat("not json ", 100)
	errs := ValidateSchedules([]Schedule{sched(func(s *Schedule) { s.Data = data })}, field.NewPath("spec", "schedules"))
	if len(errs) != 1 {
		t.Fatalf("errors = %v, want one", errs)
	}
	if msg := errs[0].Error(); strings.Contains(msg, "not json not json") {
		t.Errorf("error repeats the data: %s", msg)
	}
}
