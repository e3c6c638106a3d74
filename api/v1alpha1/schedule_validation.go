package v1alpha1

import (
	"encoding/json"
	"fmt"
	"mime"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Limits and defaults of a schedule.
const (
	// MaxScheduleNameLength is the CRD's limit on a schedule's name.
	MaxScheduleNameLength = 40
	// MaxScheduleDataBytes is the most data a schedule may send: 64 KiB.
	MaxScheduleDataBytes = 64 << 10
)

// ValidateSchedules checks the rules of spec.schedules that the CRD schema
// cannot, so that every schedule it accepts makes a PingSource Knative
// Eventing (v0.50) accepts too. Each error names the field at fault and
// what is allowed.
//
//   - name: a DNS-1123 label of at most 40 characters, unique within the App.
//   - schedule: cron syntax as Knative's PingSource validation parses it,
//     with its parser (github.com/robfig/cron/v3 with an optional seconds
//     field and descriptors, see validateCron); no @every; no CRON_TZ= or
//     TZ= prefix: the timezone field says that.
//   - timezone: an IANA time zone name that time.LoadLocation knows, not
//     "Local" and without spaces.
//   - contentType: a media type, type/subtype with optional parameters.
//   - data: at most 64 KiB; with contentType application/json (the
//     default), a JSON object, as Knative requires.
func ValidateSchedules(s []Schedule, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := make(map[string]bool, len(s))
	for i := range s {
		sp := path.Index(i)
		errs = append(errs, validateScheduleName(s[i].Name, seen, sp.Child("name"))...)
		errs = append(errs, validateSchedule(&s[i], sp)...)
	}
	return errs
}

func validateScheduleName(name string, seen map[string]bool, path *field.Path) field.ErrorList {
	switch {
	case name == "":
		return field.ErrorList{field.Required(path, "a schedule needs a name: a DNS-1123 label (lower-case letters, digits and -) of at most 40 characters")}
	case seen[name]:
		e := field.Duplicate(path, name)
		e.Detail = "schedule names must be unique within the App"
		return field.ErrorList{e}
	}
	seen[name] = true
	if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 || len(name) > MaxScheduleNameLength {
		return field.ErrorList{field.Invalid(path, name, fmt.Sprintf(
			"must be a DNS-1123 label (lower-case letters, digits and -, starting and ending with a letter or digit) of at most %d characters", MaxScheduleNameLength))}
	}
	return nil
}

func validateSchedule(s *Schedule, path *field.Path) field.ErrorList {
	var errs field.ErrorList

	// Knative's validation prefixes the schedule with "CRON_TZ=<timezone> "
	// when a timezone is set, and its parser then trims the rest; so the
	// same schedule is parsed trimmed with a timezone and as written
	// without one.
	spec := s.Schedule
	if s.Timezone != "" {
		spec = strings.TrimSpace(spec)
	}
	sp := path.Child("schedule")
	switch trimmed := strings.TrimSpace(s.Schedule); {
	case trimmed == "":
		errs = append(errs, field.Required(sp, `a cron schedule such as "0 3 * * *" (minute hour day-of-month month day-of-week)`))
	case strings.HasPrefix(trimmed, "CRON_TZ=") || strings.HasPrefix(trimmed, "TZ="):
		errs = append(errs, field.Invalid(sp, s.Schedule,
			`a CRON_TZ= or TZ= prefix is not allowed: put the cron expression here and the zone in timezone, such as schedule "0 3 * * *" with timezone "Europe/Berlin"`))
	default:
		if err := validateCron(spec); err != nil {
			errs = append(errs, field.Invalid(sp, s.Schedule, err.Error()))
		}
	}

	if s.Timezone != "" {
		tp := path.Child("timezone")
		const allowed = "an IANA time zone name such as Europe/Berlin, America/New_York or UTC"
		switch {
		case s.Timezone == "Local":
			errs = append(errs, field.Invalid(tp, s.Timezone, `"Local" is the zone of whichever machine sends the events; use `+allowed))
		case strings.ContainsAny(s.Timezone, " \t\r\n"):
			errs = append(errs, field.Invalid(tp, s.Timezone, "must not contain spaces; use "+allowed))
		default:
			if _, err := time.LoadLocation(s.Timezone); err != nil {
				errs = append(errs, field.Invalid(tp, s.Timezone, "unknown time zone; use "+allowed))
			}
		}
	}

	contentType := s.ContentTypeOrDefault()
	if mediaType, _, err := mime.ParseMediaType(contentType); s.ContentType != "" && (err != nil || !strings.Contains(mediaType, "/")) {
		errs = append(errs, field.Invalid(path.Child("contentType"), s.ContentType,
			"must be a media type, type/subtype with optional parameters, such as application/json or text/plain; charset=utf-8"))
	}

	dp := path.Child("data")
	switch {
	case len(s.Data) > MaxScheduleDataBytes:
		errs = append(errs, field.TooLong(dp, "", MaxScheduleDataBytes))
	case s.Data != "" && contentType == DefaultScheduleContentType:
		// Knative's own check, for exactly this content type.
		var obj map[string]any
		if err := json.Unmarshal([]byte(s.Data), &obj); err != nil {
			errs = append(errs, field.Invalid(dp, field.OmitValueType{},
				`with contentType application/json (the default) data must be a JSON object, such as {"task": "cleanup"}, or name another contentType: `+err.Error()))
		}
	}
	return errs
}

// cronParser is Knative Eventing's (v0.50.0, pkg/apis/sources/v1/
// ping_validation.go): standard cron fields with an optional seconds field
// first, and descriptors.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// validateCron accepts what Knative Eventing's PingSource validation
// accepts once it took off the CRON_TZ prefix it adds: no @every anywhere,
// and what cronParser parses:
//
//   - a descriptor: @yearly, @annually, @monthly, @weekly, @daily,
//     @midnight or @hourly, exactly;
//   - or 5 fields (minute hour day-of-month month day-of-week) or 6 (with
//     a seconds field first), separated by whitespace. A field is a comma
//     separated list of *, ?, a value, or a range low-high, each optionally
//     with /step; value/step means value-max/step. Months may be named
//     jan-dec and weekdays sun-sat (any case); weekdays are 0-6, Sunday 0.
//
// The caller refuses CRON_TZ= and TZ= prefixes first: the parser would
// read them (and panics on one without a space after it).
func validateCron(spec string) error {
	if strings.Contains(spec, "@every") {
		return fmt.Errorf("@every is not supported by Knative's PingSource; write a cron expression such as */15 * * * *")
	}
	if _, err := cronParser.Parse(spec); err != nil {
		return fmt.Errorf("%v; %s", err, cronHelp)
	}
	return nil
}

// cronHelp says what a schedule may be.
const cronHelp = `want 5 fields (minute hour day-of-month month day-of-week, such as "0 3 * * *"), ` +
	`6 with seconds first, or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly. ` +
	`A field is a comma separated list of *, values or ranges low-high, each with an optional /step; ` +
	`minutes and seconds 0-59, hours 0-23, days 1-31, months 1-12 or jan-dec, weekdays 0-6 (Sunday 0) or sun-sat`
