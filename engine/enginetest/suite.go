package enginetest

import "testing"

// Suite runs every behaviour test against stores from ns.
func Suite(t *testing.T, ns NewStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, NewStore)
	}{
		{"send, wait and complete", testSendWaitComplete},
		{"wait_until at a local time and weekday", testWaitUntil},
		{"wait_for arrives or times out", testWaitForArrivesOrTimesOut},
		{"split is stable and weighted", testSplitIsStableAndWeighted},
		{"update and emit", testUpdateAndEmit},
		{"emit cycles are cut at depth 8", testEmitCycleIsCut},
		{"exit rules and exit steps", testExits},
		{"entry rules", testEntryRules},
		{"goals", testGoals},
		{"holdout", testHoldout},
		{"journeys stay on their version", testVersionsStayPinned},
		{"an old version is read back from the store", testVersionFromStoreAfterRestart},
		{"templates stay with their version", testTemplatesStayWithTheirVersion},
		{"a journey whose version cannot run ends", testAJourneyWhoseVersionCannotRunEnds},
		{"metrics are updated before flows look", testMetricsBeforeFlows},
		{"a cancelled order never counts", testCancelledOrdersNeverCount},
		{"an order's events arrive in any order", testOrderEventsInAnyArrivalOrder},
		{"an order placed twice counts once; refunds add up", testRepeatedOrdersAndRefunds},
		{"orders add to a customer's given figures", testOrdersAddToGivenFigures},
		{"orders know their place among the customer's", testOrdersKnowTheirPlace},
		{"duplicate events are dropped", testDuplicateEventsDropped},
		{"date triggers", testDateTriggers},
		{"schedules fan out in batches", testScheduleFansOutInBatches},
		{"a cron follows the workspace time zone", testCronFollowsTheWorkspaceZone},
		{"a cron fires once on the autumn night", testCronFiresOnceOnTheAutumnNight},
		{"locale fallback", testLocaleFallback},
		{"a render failure does not stop the journey", testRenderFailureDoesNotStopTheJourney},
		{"templates and expressions past their bounds fail the message, not the engine", testBoundsFailTheMessageNotTheEngine},
		{"contact policies", testPoliciesThroughTheEngine},
		{"priority: a higher message takes a waiting lower one's place", testPriorityTakesTheWaitingPlace},
		{"priority: a displaced message of a flow that skips over the limit is skipped", testPriorityDisplacedIsSkipped},
		{"priority: a leased message is never taken back", testPriorityNeverTakesALeasedMessage},
		{"catalog: items carry their product, product() reads the catalog", testCatalogProducts},
		{"history: a schedule reaches exactly the owners of a product, a batch at a time", testAudienceOfOwners},
		{"history: conditions see counted orders only", testHistoryInConditions},
		{"templates see exact money", testTemplatesSeeExactMoney},
		{"held messages are cancelled when the customer leaves", testHeldMessagesAreCancelled},
		{"an ended journey's held message stops on its exit or goal", testEndedJourneyHeldMessageStops},
		{"a long entry key is stored as its hash", testLongEntryKey},
		{"consent is decided by event time", testConsentByEventTime},
		{"consent: a withdrawal wins ties, a future stamp counts from arrival", testConsentTiesAndFutureStamps},
	}
	// Every behaviour must be the same whether the clock visits each moment (as in production) or
	// the engine runs many moments per transaction (as simulations do).
	for _, mode := range []struct {
		name      string
		eventTime bool
	}{{"moments", false}, {"event-time", true}} {
		t.Run(mode.name, func(t *testing.T) {
			eventTime = mode.eventTime
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, ns) })
			}
		})
	}
}

// eventTime is the mode of the suite's current pass; the suite runs its tests one at a time.
var eventTime bool
