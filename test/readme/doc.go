// Package readme runs the shell blocks of the README's "Your first hour",
// in order and in one shell session, against the stack `make dev` starts
// (test/dev/run.sh), and checks that each prints what the README shows
// below it. The README is the test's input: change a command or its output
// there, and the test follows.
//
// What a block's output may differ in: the AGE column (ages are written
// as whatever they were), runs of spaces (kubectl's column widths), and
// lines the README elides with a line "...". A block's reads (kubectl get,
// wait, explain) that follow its last write are run again for a while
// until they show what the README does, since knapp and Knative act on a
// write within moments, not before the next command.
package readme
