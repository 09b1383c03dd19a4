package consumers

import "testing"

func TestChunkSize(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		batch, maxDeliveries, n int
		want                    int
	}{
		{"FirstDelivery", 5000, 5, 1, 5000},
		{"AfterOneCrash", 5000, 5, 2, 5000},
		{"Third", 5000, 5, 3, 293},
		{"Fourth", 5000, 5, 4, 18},
		{"AtTheLimit", 5000, 5, 5, 1},
		{"PastTheLimit", 5000, 5, 9, 1},
		{"SmallBatchThird", 50, 5, 3, 14},
		{"SmallBatchFourth", 50, 5, 4, 4},
		{"LimitThreeSecond", 50, 3, 2, 50},
		{"LimitThreeAtTheLimit", 50, 3, 3, 1},
		{"LimitTwoSecond", 50, 2, 2, 1},
		{"LimitTwoFirst", 50, 2, 1, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Consumer{cfg: Config{Batch: tc.batch, MaxDeliveries: tc.maxDeliveries}}
			if got := c.chunkSize(uint64(tc.n)); got != tc.want {
				t.Errorf("chunkSize(%d) with batch %d, limit %d: got %d, want %d", tc.n, tc.batch, tc.maxDeliveries, got, tc.want)
			}
		})
	}
}
