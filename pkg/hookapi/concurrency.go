package hookapi

// slots bounds the requests handled at once: what a flood of requests can
// make knapp hold in memory is the number of slots times the largest body.
type slots chan struct{}

func newSlots(n int) slots { return make(slots, n) }

// tryAcquire takes a slot if one is free, without waiting: a caller that
// waited would hold its connection, and its unread body, meanwhile.
func (s slots) tryAcquire() bool {
	select {
	case s <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s slots) release() { <-s }
