package msgs

// Gone is a message constant used from another package.
const Gone = "fixture: gone from another package"
