package reap

// ChildrenOf is children, for the tests outside the package.
var ChildrenOf = children

// ParseStat is parseStat, likewise.
var ParseStat = parseStat
